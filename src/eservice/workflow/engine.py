"""The workflow engine: pure functions that decide what a transition does. No I/O.

The requests context asks the engine, then applies the decision (state, event, outbox, timers,
SLA clock) in one transaction. Refusals come in a fixed order so that callers can map them to
HTTP statuses: unknown transition and not possible from this state → 409, actor not allowed →
403, requirement missing → 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from eservice.events.schemas import NotifyTarget
from eservice.workflow.definitions import (
    Actor,
    Labels,
    SlaClock,
    Timer,
    Transition,
    Workflow,
)

RefusalReason = Literal["unknown", "not_from_state", "actor", "requirement"]
SlaChange = Literal["run", "pause", "stop"]

_SLA_CHANGE: dict[SlaClock, SlaChange] = {"runs": "run", "paused": "pause", "stopped": "stop"}
# Actors that are not bound by ``assignee_only``: it restricts clerks to their own requests.
_ASSIGNEE_BOUND: frozenset[Actor] = frozenset({"clerk"})


class Caller(msgspec.Struct, frozen=True):
    """Who fires a transition, as the actors they count as for this request."""

    actors: frozenset[Actor]
    is_assignee: bool = False


class Inputs(msgspec.Struct, frozen=True):
    """What comes with a transition: a comment, request data, the document kinds present."""

    comment: str | None = None
    data: Mapping[str, object] = msgspec.field(default_factory=dict)
    documents: frozenset[str] = frozenset()


class Decision(msgspec.Struct, frozen=True):
    """The outcome of an allowed transition: the new state and every effect to apply."""

    transition: str
    from_state: str
    to_state: str
    notify: tuple[NotifyTarget, ...]
    cancel_timers: bool
    set_timer: Timer | None
    sla: SlaChange | None
    closes: bool
    label: Labels
    to_label: Labels


class TransitionRefused(Exception):
    """A transition the engine will not allow, with the reason and what the caller could do."""

    def __init__(
        self,
        reason: RefusalReason,
        detail: str,
        *,
        missing: list[str] | None = None,
        available: list[str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.reason: RefusalReason = reason
        self.detail = detail
        self.missing: list[str] = list(missing or [])
        self.available: list[str] = list(available or [])


def may_fire(transition: Transition, caller: Caller) -> bool:
    """Whether the caller counts as one of the transition's actors (``assignee_only`` included)."""
    matching = caller.actors & frozenset(transition.actors)
    if transition.assignee_only and not caller.is_assignee:
        matching -= _ASSIGNEE_BOUND
    return bool(matching)


def available_transitions(workflow: Workflow, state_name: str, caller: Caller) -> list[Transition]:
    """The transitions out of ``state_name`` that the caller may fire, in declaration order.

    Nothing leaves a terminal state, whatever a (broken) definition declares.
    """
    if _is_terminal(workflow, state_name):
        return []
    return [t for t in workflow.transitions_from(state_name) if may_fire(t, caller)]


def missing_requirements(transition: Transition, inputs: Inputs) -> list[str]:
    """JSON pointers of what is missing: ``/comment``, ``/data/<field>``, ``/documents/<kind>``."""
    missing: list[str] = []
    requires = transition.requires
    if requires.comment and not (inputs.comment and inputs.comment.strip()):
        missing.append("/comment")
    missing.extend(
        f"/data/{field}" for field in requires.fields if not _present(inputs.data.get(field))
    )
    missing.extend(
        f"/documents/{kind}" for kind in requires.documents if kind not in inputs.documents
    )
    return missing


def decide(
    workflow: Workflow,
    state_name: str,
    transition_name: str,
    caller: Caller,
    inputs: Inputs,
) -> Decision:
    """Decide ``transition_name`` from ``state_name``, or raise TransitionRefused."""
    available = [t.name for t in available_transitions(workflow, state_name, caller)]
    try:
        transition = workflow.transition(transition_name)
    except KeyError:
        raise TransitionRefused(
            "unknown",
            f"Workflow {workflow.name} has no transition {transition_name!r}.",
            available=available,
        ) from None
    if (
        state_name not in transition.from_
        or not workflow.has_state(state_name)
        or _is_terminal(workflow, state_name)
    ):
        raise TransitionRefused(
            "not_from_state",
            f"Transition {transition_name!r} is not possible from state {state_name!r}.",
            available=available,
        )
    if not may_fire(transition, caller):
        detail = f"You may not fire transition {transition_name!r}."
        if transition.assignee_only and not caller.is_assignee:
            detail = f"Only the assigned clerk may fire transition {transition_name!r}."
        raise TransitionRefused("actor", detail, available=available)
    missing = missing_requirements(transition, inputs)
    if missing:
        raise TransitionRefused(
            "requirement",
            f"Transition {transition_name!r} requires: {', '.join(missing)}.",
            missing=missing,
            available=available,
        )
    source = workflow.state(state_name)
    target = workflow.state(transition.to)
    leaves = target.name != source.name
    return Decision(
        transition=transition.name,
        from_state=source.name,
        to_state=target.name,
        notify=tuple(dict.fromkeys(transition.notifies)),
        # Timer rows exist only for states that declare a timer: nothing to cancel otherwise.
        cancel_timers=leaves and source.timer is not None,
        set_timer=target.timer if leaves else None,
        sla=_SLA_CHANGE[target.sla] if target.sla != source.sla else None,
        closes=target.terminal,
        label=transition.label,
        to_label=target.label,
    )


def _is_terminal(workflow: Workflow, state_name: str) -> bool:
    return any(s.name == state_name and s.terminal for s in workflow.states)


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict | tuple):
        return bool(value)
    return True
