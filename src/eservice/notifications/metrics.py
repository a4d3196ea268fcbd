"""Prometheus metrics of notifications, by channel (``email``, ``webhook``, ``inbox``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# Gauges say how several API processes (`serve --processes N`) combine: the backlogs are read
# from the database by each worker (the latest reading counts), stream clients add up.
OUTBOX_BACKLOG = Gauge(
    "eservice_outbox_backlog",
    "Outbox rows not yet fanned out, by kind",
    ["kind"],
    multiprocess_mode="livemostrecent",
)
DELIVERY_BACKLOG = Gauge(
    "eservice_delivery_backlog",
    "Deliveries waiting to be sent or retried, by channel",
    ["channel"],
    multiprocess_mode="livemostrecent",
)
DELIVERIES_DEAD = Gauge(
    "eservice_deliveries_dead",
    "Deliveries parked as dead after their last attempt",
    ["channel"],
    multiprocess_mode="livemostrecent",
)
DELIVERY_ATTEMPTS = Counter(
    "eservice_delivery_attempts",
    "Delivery attempts by channel and outcome (succeeded, failed, gone)",
    ["channel", "outcome"],
)
DELIVERY_FAILURES = Counter(
    "eservice_delivery_failures", "Failed delivery attempts by channel", ["channel"]
)
DELIVERIES_FINISHED = Counter(
    "eservice_deliveries_finished",
    "Deliveries that reached a final state, by channel and state (succeeded, dead, cancelled)",
    ["channel", "state"],
)
EMAILS_SENT = Counter(
    "eservice_emails_sent", "Emails handed to SMTP or written as .eml files", ["transport"]
)
INBOX_ITEMS = Counter("eservice_inbox_items_created", "In-app notifications created")
STREAM_CLIENTS = Gauge(
    "eservice_stream_clients", "Open live-stream (SSE) connections", multiprocess_mode="livesum"
)
EVENTS_FANNED_OUT = Counter(
    "eservice_outbox_processed", "Outbox rows fanned out into deliveries, by kind", ["kind"]
)
