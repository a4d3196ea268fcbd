"""Who may see a request and which workflow actors a caller counts as (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg

from eservice.identity.principal import Principal
from eservice.requests.access import VISIBLE_SQL, may_see, visibility, workflow_actors
from eservice.requests.tables import RequestRow
from eservice.requests.transitions import engine_caller
from eservice.workflow.definitions import Labels, State, Transition, Workflow
from eservice.workflow.engine import available_transitions

APPLICANT = uuid4()


def _request(*, submitted: bool = True, assignee: UUID | None = None) -> RequestRow:
    now = datetime.now(UTC)
    return RequestRow(
        id=uuid4(),
        service_code="hundeanmeldung",
        department="steuern",
        state="submitted" if submitted else "draft",
        applicant_id=APPLICANT,
        filed_by_kind="citizen",
        filed_by_id=APPLICANT,
        assignee_id=assignee,
        submitted_at=now if submitted else None,
    )


def _staff(*roles: str, departments: tuple[str, ...] = ("steuern",)) -> Principal:
    return Principal(
        kind="staff", id=uuid4(), roles=frozenset(roles), departments=frozenset(departments)
    )


def _client(*scopes: str, services: frozenset[str] | None = None) -> Principal:
    return Principal(kind="client", id=uuid4(), scopes=frozenset(scopes), services=services)


def test_citizen_sees_only_own_and_counts_as_applicant() -> None:
    request = _request()
    owner = Principal(kind="citizen", id=APPLICANT)
    stranger = Principal(kind="citizen", id=uuid4())
    assert may_see(owner, request)
    assert not may_see(stranger, request)
    assert workflow_actors(owner, request) == {"applicant"}
    assert workflow_actors(stranger, request) == frozenset()


def test_staff_see_their_departments_filed_requests_only() -> None:
    assert may_see(_staff("clerk"), _request())
    assert not may_see(_staff("clerk"), _request(submitted=False))
    assert not may_see(_staff("clerk", departments=("verkehr",)), _request())
    assert workflow_actors(_staff("clerk"), _request()) == {"clerk"}
    assert workflow_actors(_staff("supervisor"), _request()) == {"clerk", "supervisor"}


def test_clients_by_scope_and_service_restriction() -> None:
    request = _request()
    assert may_see(_client("requests:read"), request)
    assert may_see(_client("requests:transition", services=frozenset({"hundeanmeldung"})), request)
    assert not may_see(_client("requests:read", services=frozenset({"strassenschaden"})), request)
    assert not may_see(_client("requests:write"), request)  # only what it filed itself
    assert not may_see(_client("subscriptions:manage"), request)
    assert workflow_actors(_client("requests:transition"), request) == {"client"}
    assert workflow_actors(_client("requests:read"), request) == frozenset()


def test_assignee_only_transition_is_for_the_assigned_clerk() -> None:
    label = Labels(de="x", en="x")
    workflow = Workflow(
        name="w",
        version=1,
        title=label,
        states=[
            State(name="draft", label=label, open311="open", sla="stopped"),
            State(name="submitted", label=label, open311="open"),
        ],
        transitions=[
            Transition(
                name="decide",
                from_=["submitted"],
                to="submitted",
                label=label,
                actors=["clerk"],
                assignee_only=True,
            )
        ],
    )
    clerk = _staff("clerk")
    other = _staff("clerk")
    request = _request(assignee=clerk.id)
    assert [
        t.name for t in available_transitions(workflow, "submitted", engine_caller(clerk, request))
    ] == ["decide"]
    assert available_transitions(workflow, "submitted", engine_caller(other, request)) == []


def _principals() -> list[Principal]:
    citizen = Principal(kind="citizen", id=APPLICANT)
    return [
        citizen,
        Principal(kind="citizen", id=uuid4()),
        Principal(kind="public", id=REPORTER),
        Principal(kind="public", id=uuid4()),
        _staff("clerk"),
        _staff("clerk", departments=("verkehr", "tiefbau")),
        _staff("admin", departments=()),
        Principal(kind="client", id=CLIENT, scopes=frozenset({"requests:write"})),
        Principal(kind="client", id=CLIENT, scopes=frozenset({"subscriptions:manage"})),
        Principal(
            kind="client",
            id=CLIENT,
            scopes=frozenset({"requests:write"}),
            services=frozenset({"strassenschaden"}),
        ),
        _client("requests:read"),
        _client("requests:transition", services=frozenset({"hundeanmeldung"})),
        _client("requests:read", services=frozenset()),
    ]


REPORTER = uuid4()
CLIENT = uuid4()


def _rows() -> list[RequestRow]:
    rows = []
    for submitted in (True, False):
        for service, department in (("hundeanmeldung", "steuern"), ("strassenschaden", "tiefbau")):
            for kind, filer, applicant in (
                ("citizen", APPLICANT, APPLICANT),
                ("client", CLIENT, APPLICANT),
                ("client", CLIENT, None),
                ("public", REPORTER, None),
            ):
                row = _request(submitted=submitted)
                row.service_code, row.department = service, department
                row.filed_by_kind, row.filed_by_id, row.applicant_id = kind, filer, applicant
                rows.append(row)
    return rows


async def test_the_sql_rule_admits_exactly_what_the_python_rule_admits(
    raw_connection: asyncpg.Connection,
) -> None:
    """VISIBLE_SQL and Visibility.admits are one rule (the read by id runs the SQL one)."""
    statement = (
        "SELECT " + VISIBLE_SQL + " FROM (SELECT $1::uuid AS id, $8::text AS service_code, "
        "$9::text AS department, $10::uuid AS applicant_id, $11::text AS filed_by_kind, "
        "$12::uuid AS filed_by_id, $13::timestamptz AS submitted_at) AS requests"
    )
    checked = admitted = 0
    for principal in _principals():
        rule = visibility(principal)
        for row in _rows():
            in_sql = await raw_connection.fetchval(
                statement,
                row.id,
                *rule.sql_arguments(),
                row.service_code,
                row.department,
                row.applicant_id,
                row.filed_by_kind,
                row.filed_by_id,
                row.submitted_at,
            )
            assert bool(in_sql) == rule.admits(row) == may_see(principal, row), (principal, row)
            checked += 1
            admitted += rule.admits(row)
    assert 0 < admitted < checked  # the matrix covers both answers
