"""The engine decides transitions from the definition alone: examples on the permit workflow."""

from __future__ import annotations

import pytest

from eservice.workflow.definitions import Actor, Timer
from eservice.workflow.engine import (
    Caller,
    Inputs,
    TransitionRefused,
    available_transitions,
    decide,
)
from tests.workflow.shipped import shipped

PERMIT = shipped("permit")
APPLICANT = Caller(actors=frozenset({"applicant"}))
CLERK = Caller(actors=frozenset({"clerk"}))
SYSTEM = Caller(actors=frozenset({"system"}))


def refusal(
    state: str, transition: str, caller: Caller, inputs: Inputs | None = None
) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as caught:
        decide(PERMIT, state, transition, caller, inputs or Inputs())
    return caught.value


def test_applicant_submits_a_draft_and_the_sla_clock_starts() -> None:
    decision = decide(PERMIT, "draft", "submit", APPLICANT, Inputs())
    assert (decision.transition, decision.from_state, decision.to_state) == (
        "submit",
        "draft",
        "submitted",
    )
    assert decision.sla == "run"
    assert decision.closes is False
    assert decision.set_timer is None
    assert decision.notify == ("applicant", "department")
    assert decision.to_label.de == "Eingegangen"


def test_request_info_pauses_the_clock_and_sets_the_30_day_timer() -> None:
    decision = decide(
        PERMIT,
        "in_review",
        "request_info",
        CLERK,
        Inputs(comment="Bitte Fahrzeugschein nachreichen."),
    )
    assert decision.to_state == "awaiting_info"
    assert decision.sla == "pause"
    assert decision.set_timer == Timer(after="30d", transition="expire")
    assert decision.set_timer.seconds == 30 * 86400
    assert decision.cancel_timers is False  # in_review has no timer to cancel


def test_provide_info_resumes_the_clock_and_cancels_the_timer() -> None:
    decision = decide(PERMIT, "awaiting_info", "provide_info", APPLICANT, Inputs())
    assert (decision.to_state, decision.sla, decision.cancel_timers, decision.set_timer) == (
        "in_review",
        "run",
        True,
        None,
    )


def test_timer_expiry_by_the_system_closes_the_request() -> None:
    decision = decide(PERMIT, "awaiting_info", "expire", SYSTEM, Inputs())
    assert decision.to_state == "expired"
    assert decision.closes is True
    assert decision.sla == "stop"


def test_approve_closes_and_stops_the_clock() -> None:
    decision = decide(PERMIT, "in_review", "approve", CLERK, Inputs())
    assert (decision.to_state, decision.closes, decision.sla) == ("approved", True, "stop")


def test_unknown_transition_is_refused_listing_what_is_available() -> None:
    refused = refusal("in_review", "teleport", CLERK)
    assert refused.reason == "unknown"
    assert refused.available == ["request_info", "request_fee", "approve", "reject"]


def test_transition_from_another_state_is_refused_as_not_from_state() -> None:
    refused = refusal("submitted", "approve", CLERK)
    assert refused.reason == "not_from_state"
    assert refused.available == ["start_review", "reject"]


def test_state_check_comes_before_actor_check() -> None:
    assert refusal("approved", "approve", APPLICANT).reason == "not_from_state"


def test_actor_not_allowed_is_refused_as_actor() -> None:
    refused = refusal("in_review", "approve", APPLICANT)
    assert refused.reason == "actor"
    assert refused.available == ["withdraw"]


def test_clerk_cannot_submit_for_the_applicant() -> None:
    assert refusal("draft", "submit", CLERK).reason == "actor"


def test_missing_comment_is_refused_as_requirement_with_pointer() -> None:
    for comment in (None, "", "   "):
        refused = refusal("in_review", "reject", CLERK, Inputs(comment=comment))
        assert refused.reason == "requirement"
        assert refused.missing == ["/comment"]


def test_actor_check_comes_before_requirements() -> None:
    assert refusal("in_review", "reject", APPLICANT).reason == "actor"


def test_payment_system_client_may_mark_the_fee_paid() -> None:
    client = Caller(actors=frozenset({"client"}))
    assert decide(PERMIT, "fee_due", "mark_paid", client, Inputs()).to_state == "in_review"
    assert [t.name for t in available_transitions(PERMIT, "fee_due", client)] == ["mark_paid"]


def test_available_transitions_depend_on_state_and_actor() -> None:
    names = lambda state, caller: [t.name for t in available_transitions(PERMIT, state, caller)]  # noqa: E731
    assert names("draft", APPLICANT) == ["submit"]
    assert names("draft", CLERK) == []
    assert names("in_review", APPLICANT) == ["withdraw"]
    assert names("awaiting_info", APPLICANT) == ["provide_info", "withdraw"]
    assert names("awaiting_info", SYSTEM) == ["expire"]
    assert (
        names(
            "approved",
            Caller(actors=frozenset({"applicant", "clerk", "supervisor", "system", "client"})),
        )
        == []
    )
    assert names("no_such_state", CLERK) == []


def _with_requirements(**changes: object):  # type: ignore[no-untyped-def]
    import msgspec

    from eservice.workflow.definitions import Requirements

    approve = PERMIT.transition("approve")
    changed = msgspec.structs.replace(approve, requires=Requirements(**changes), assignee_only=True)  # type: ignore[arg-type]
    transitions = [changed if t.name == "approve" else t for t in PERMIT.transitions]
    return msgspec.structs.replace(PERMIT, transitions=transitions)


def test_required_fields_and_documents_are_listed_as_pointers() -> None:
    workflow = _with_requirements(fields=["bescheid_nr", "gueltig_bis"], documents=["bescheid"])
    clerk = Caller(actors=frozenset({"clerk"}), is_assignee=True)
    with pytest.raises(TransitionRefused) as caught:
        decide(
            workflow,
            "in_review",
            "approve",
            clerk,
            Inputs(data={"bescheid_nr": "  ", "gueltig_bis": "2027-01-01"}),
        )
    assert caught.value.reason == "requirement"
    assert caught.value.missing == ["/data/bescheid_nr", "/documents/bescheid"]
    inputs = Inputs(
        data={"bescheid_nr": "B-1", "gueltig_bis": "2027-01-01"}, documents=frozenset({"bescheid"})
    )
    assert decide(workflow, "in_review", "approve", clerk, inputs).to_state == "approved"


@pytest.mark.parametrize(
    ("actors", "is_assignee", "allowed"),
    [
        ({"clerk"}, False, False),
        ({"clerk"}, True, True),
        ({"clerk", "supervisor"}, False, False),
    ],
)
def test_assignee_only_binds_clerks_to_their_own_requests(
    actors: set[Actor], is_assignee: bool, allowed: bool
) -> None:
    workflow = _with_requirements()
    caller = Caller(actors=frozenset(actors), is_assignee=is_assignee)
    if allowed:
        assert decide(workflow, "in_review", "approve", caller, Inputs()).to_state == "approved"
    else:
        with pytest.raises(TransitionRefused) as caught:
            decide(workflow, "in_review", "approve", caller, Inputs())
        assert caught.value.reason == "actor"
        assert "assigned" in caught.value.detail
