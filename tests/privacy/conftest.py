"""Fixtures of the data protection tests: the attachments tests' requests and uploads."""

from __future__ import annotations

from tests.attachments.conftest import (  # noqa: F401 - fixtures used by these tests
    _empty_storage,
    advance,
    file_draft,
    upload,
)
from tests.notifications.conftest import (  # noqa: F401 - real SMTP for the proof test
    make_worker,
    peer_overrides,
    receiver,
    receiver_server,
    smtp,
    smtp_server,
)
