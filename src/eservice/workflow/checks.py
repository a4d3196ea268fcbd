"""Consistency checks of a decoded workflow: each problem as (location, message).

Locations name the place in the TOML file the way msgspec does, e.g. ``transitions[3].to``
(indexes count from 0 in file order).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping

from eservice.workflow.definitions import (
    ACTORS,
    INITIAL_STATE,
    SUBMIT_TRANSITION,
    Workflow,
)

WorkflowProblem = tuple[str, str]


def unknown_actors(raw: Mapping[str, object]) -> list[WorkflowProblem]:
    """Actors in a raw (not yet decoded) workflow that are not known, all of them at once."""
    problems: list[WorkflowProblem] = []
    transitions = raw.get("transitions")
    if not isinstance(transitions, list):
        return problems
    for i, transition in enumerate(transitions):
        actors = transition.get("actors") if isinstance(transition, dict) else None
        if not isinstance(actors, list):
            continue
        for j, actor in enumerate(actors):
            if actor not in ACTORS:
                problems.append(
                    (
                        f"transitions[{i}].actors[{j}]",
                        f"unknown actor {actor!r}; actors are {', '.join(ACTORS)}",
                    )
                )
    return problems


def check_workflow(workflow: Workflow) -> list[WorkflowProblem]:
    """Every structural problem of ``workflow``; an empty list when it is sound."""
    problems: list[WorkflowProblem] = []
    problems += _duplicates(workflow)
    problems += _states_named(workflow)
    problems += _initial_and_submit(workflow)
    problems += _terminal_rules(workflow)
    problems += _timers(workflow)
    problems += _reachability(workflow)
    return problems


def _duplicates(workflow: Workflow) -> list[WorkflowProblem]:
    problems: list[WorkflowProblem] = []
    seen = Counter(s.name for s in workflow.states)
    for i, state in enumerate(workflow.states):
        if seen[state.name] > 1:
            problems.append((f"states[{i}].name", f"duplicate state name {state.name!r}"))
    seen = Counter(t.name for t in workflow.transitions)
    for i, transition in enumerate(workflow.transitions):
        if seen[transition.name] > 1:
            problems.append(
                (f"transitions[{i}].name", f"duplicate transition name {transition.name!r}")
            )
    return problems


def _states_named(workflow: Workflow) -> list[WorkflowProblem]:
    """Every state a transition names exists; every transition has sources and actors."""
    problems: list[WorkflowProblem] = []
    names = {s.name for s in workflow.states}
    for i, t in enumerate(workflow.transitions):
        where = f"transitions[{i}]"
        if not t.from_:
            problems.append((f"{where}.from", f"transition {t.name!r} names no source state"))
        for j, source in enumerate(t.from_):
            if source not in names:
                problems.append(
                    (f"{where}.from[{j}]", f"transition {t.name!r}: unknown state {source!r}")
                )
        if t.to not in names:
            problems.append((f"{where}.to", f"transition {t.name!r}: unknown state {t.to!r}"))
        if not t.actors:
            problems.append((f"{where}.actors", f"transition {t.name!r} names no actor"))
    return problems


def _initial_and_submit(workflow: Workflow) -> list[WorkflowProblem]:
    problems: list[WorkflowProblem] = []
    if not workflow.has_state(INITIAL_STATE):
        problems.append(("states", f"every workflow needs the initial state {INITIAL_STATE!r}"))
    elif workflow.state(INITIAL_STATE).terminal:
        index = [s.name for s in workflow.states].index(INITIAL_STATE)
        problems.append((f"states[{index}].terminal", "the initial state cannot be terminal"))
    submits = [i for i, t in enumerate(workflow.transitions) if t.name == SUBMIT_TRANSITION]
    if not submits:
        problems.append(("transitions", f"every workflow needs a {SUBMIT_TRANSITION!r} transition"))
        return problems
    i = submits[0]
    submit = workflow.transitions[i]
    if INITIAL_STATE not in submit.from_:
        problems.append(
            (f"transitions[{i}].from", f"{SUBMIT_TRANSITION!r} must leave {INITIAL_STATE!r}")
        )
    if "applicant" not in submit.actors:
        problems.append(
            (
                f"transitions[{i}].actors",
                f"the applicant must be able to fire {SUBMIT_TRANSITION!r}",
            )
        )
    return problems


def _terminal_rules(workflow: Workflow) -> list[WorkflowProblem]:
    problems: list[WorkflowProblem] = []
    terminal = {s.name for s in workflow.states if s.terminal}
    for i, state in enumerate(workflow.states):
        if state.terminal and state.sla != "stopped":
            problems.append(
                (
                    f"states[{i}].sla",
                    f'terminal state {state.name!r} must stop the SLA clock (sla = "stopped")',
                )
            )
        if state.terminal and state.timer is not None:
            problems.append(
                (f"states[{i}].timer", f"terminal state {state.name!r} cannot have a timer")
            )
        if state.terminal and state.open311 != "closed":
            problems.append(
                (
                    f"states[{i}].open311",
                    f'terminal state {state.name!r} is closed for Open311 (open311 = "closed")',
                )
            )
        if not state.terminal and not workflow.transitions_from(state.name):
            problems.append(
                (
                    f"states[{i}]",
                    f"state {state.name!r} is not terminal but no transition leaves it",
                )
            )
    for i, t in enumerate(workflow.transitions):
        for j, source in enumerate(t.from_):
            if source in terminal:
                problems.append(
                    (
                        f"transitions[{i}].from[{j}]",
                        f"transition {t.name!r} leaves terminal state {source!r}",
                    )
                )
    return problems


def _timers(workflow: Workflow) -> list[WorkflowProblem]:
    problems: list[WorkflowProblem] = []
    transitions = {t.name: t for t in workflow.transitions}
    for i, state in enumerate(workflow.states):
        if state.timer is None or state.terminal:
            continue
        where = f"states[{i}].timer.transition"
        name = state.timer.transition
        transition = transitions.get(name)
        if transition is None:
            problems.append((where, f"timer of state {state.name!r}: unknown transition {name!r}"))
        elif state.name not in transition.from_:
            problems.append(
                (where, f"timer of state {state.name!r}: transition {name!r} does not leave it")
            )
        elif "system" not in transition.actors:
            problems.append(
                (
                    where,
                    f"timer of state {state.name!r}: the system must be an actor of {name!r}",
                )
            )
    return problems


def _reachability(workflow: Workflow) -> list[WorkflowProblem]:
    if not workflow.has_state(INITIAL_STATE):
        return []
    reached = reachable_states(workflow)
    return [
        (f"states[{i}]", f"state {s.name!r} cannot be reached from {INITIAL_STATE!r}")
        for i, s in enumerate(workflow.states)
        if s.name not in reached
    ]


def reachable_states(workflow: Workflow, start: str = INITIAL_STATE) -> set[str]:
    """Every state reachable from ``start`` through declared transitions."""
    reached = {start}
    todo = deque([start])
    while todo:
        current = todo.popleft()
        for t in workflow.transitions_from(current):
            if t.to not in reached:
                reached.add(t.to)
                todo.append(t.to)
    return reached
