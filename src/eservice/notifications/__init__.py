"""Outbox, worker, email, inbox, live stream and signed webhooks."""
