"""Whom an addition to a request (a comment, a file) notifies: one rule for both."""

from __future__ import annotations

from uuid import uuid4

from eservice.identity.principal import Principal
from eservice.requests.history import staff_on_it, whom_to_notify
from eservice.requests.tables import RequestRow

STAFF = Principal(kind="staff", id=uuid4(), roles=frozenset({"clerk"}))
CITIZEN = Principal(kind="citizen", id=uuid4())
CLIENT = Principal(kind="client", id=uuid4(), scopes=frozenset({"requests:write"}))


def test_staff_tell_the_applicant_of_public_additions_only() -> None:
    request = RequestRow(assignee_id=uuid4())
    assert whom_to_notify(STAFF, request, public=True) == ("applicant",)
    assert whom_to_notify(STAFF, request, public=False) == ()


def test_applicants_and_clients_tell_the_staff_working_on_it() -> None:
    assigned, unassigned = RequestRow(assignee_id=uuid4()), RequestRow(assignee_id=None)
    for caller in (CITIZEN, CLIENT):
        assert whom_to_notify(caller, assigned, public=True) == ("assignee",)
        assert whom_to_notify(caller, unassigned, public=True) == ("department",)
    assert staff_on_it(assigned) == ("assignee",)
    assert staff_on_it(unassigned) == ("department",)
