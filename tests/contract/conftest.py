"""The contract tests reuse the real SMTP and webhook peers of the notification tests."""

from tests.notifications.conftest import (  # noqa: F401
    api,
    make_worker,
    peer_overrides,
    receiver,
    receiver_server,
    smtp,
    smtp_server,
    worker,
    worker_settings,
)
