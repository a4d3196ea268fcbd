"""Property-based tests of the engine over the shipped workflows and generated ones.

Whatever callers try, only declared transitions ever happen, terminal states are final, every
state reached is a declared one reachable from ``draft``, and refusals come in the fixed order.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from eservice.workflow.checks import check_workflow, reachable_states
from eservice.workflow.definitions import (
    ACTORS,
    Actor,
    Labels,
    Requirements,
    State,
    Timer,
    Transition,
    Workflow,
)
from eservice.workflow.engine import (
    Caller,
    Decision,
    Inputs,
    TransitionRefused,
    available_transitions,
    decide,
    may_fire,
    missing_requirements,
)
from tests.workflow.shipped import shipped_workflows

actors = st.frozensets(st.sampled_from(ACTORS), max_size=len(ACTORS))
callers = st.builds(Caller, actors=actors, is_assignee=st.booleans())
names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12)
comments = st.one_of(st.none(), st.just(""), st.just("  "), st.text(min_size=1, max_size=20))
documents = st.frozensets(st.sampled_from(["fahrzeugschein", "lageplan", "foto", "bescheid"]))
field_values = st.one_of(st.none(), st.just(""), st.just([]), st.text(max_size=5), st.integers())
data = st.dictionaries(st.sampled_from(["a", "b", "nummer"]), field_values, max_size=3)
inputs = st.builds(Inputs, comment=comments, data=data, documents=documents)


def label(text: str) -> Labels:
    return Labels(de=text, en=text)


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    """A random workflow: random graph, terminal states, actors, requirements and timers."""
    count = draw(st.integers(min_value=2, max_value=7))
    state_names = ["draft", *(f"s{i}" for i in range(1, count))]
    terminal = {n for n in state_names[1:] if draw(st.booleans())}
    transitions: list[Transition] = [
        Transition(
            name="submit",
            from_=["draft"],
            to=state_names[1],
            label=label("submit"),
            actors=["applicant"],
        )
    ]
    for i in range(draw(st.integers(min_value=0, max_value=10))):
        sources = draw(st.lists(st.sampled_from(state_names), min_size=1, max_size=3, unique=True))
        transitions.append(
            Transition(
                name=f"t{i}",
                from_=sources,
                to=draw(st.sampled_from(state_names)),
                label=label(f"t{i}"),
                actors=draw(st.lists(st.sampled_from(ACTORS), min_size=1, max_size=3, unique=True)),
                requires=Requirements(
                    comment=draw(st.booleans()),
                    fields=draw(
                        st.lists(st.sampled_from(["a", "b", "nummer"]), max_size=2, unique=True)
                    ),
                    documents=draw(st.lists(st.sampled_from(["foto", "bescheid"]), max_size=1)),
                ),
                notifies=draw(
                    st.lists(st.sampled_from(["applicant", "assignee", "department"]), unique=True)
                ),
                assignee_only=draw(st.booleans()),
            )
        )
    states = []
    for name in state_names:
        outgoing = [t.name for t in transitions if name in t.from_]
        timer = None
        if outgoing and draw(st.booleans()):
            timer = Timer(
                after=draw(st.sampled_from(["10s", "15m", "12h", "30d"])),
                transition=draw(st.sampled_from(outgoing)),
            )
        is_terminal = name in terminal
        states.append(
            State(
                name=name,
                label=label(name),
                open311="closed" if is_terminal else "open",
                terminal=is_terminal,
                sla="stopped"
                if is_terminal
                else draw(st.sampled_from(["runs", "paused", "stopped"])),
                timer=timer,
            )
        )
    return Workflow(
        name="generated",
        version=1,
        title=label("generated"),
        states=states,
        transitions=transitions,
    )


any_workflow = st.one_of(
    st.sampled_from(sorted(shipped_workflows().values(), key=lambda w: w.name)), workflows()
)
attempts = st.lists(
    st.tuples(
        st.one_of(names, st.sampled_from(["submit", "t0", "t1", "approve", "reject", "expire"])),
        callers,
        inputs,
    ),
    max_size=30,
)


def attempt(
    workflow: Workflow, state: str, name: str, caller: Caller, given: Inputs
) -> Decision | TransitionRefused:
    """The engine's decision, or its refusal as a value."""
    try:
        return decide(workflow, state, name, caller, given)
    except TransitionRefused as refused:
        return refused


def transition_names(workflow: Workflow) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([t.name for t in workflow.transitions]), names)


@settings(max_examples=150, deadline=None)
@given(workflow=any_workflow, attempts=attempts, data=st.data())
def test_random_walks_only_follow_declared_transitions(
    workflow: Workflow, attempts: list, data: st.DataObject
) -> None:
    reachable = reachable_states(workflow)
    state = "draft"
    for tried, caller, given_inputs in attempts:
        name = data.draw(transition_names(workflow)) if data.draw(st.booleans()) else tried
        before = state
        decision = attempt(workflow, state, name, caller, given_inputs)
        if isinstance(decision, TransitionRefused):
            assert decision.reason in {"unknown", "not_from_state", "actor", "requirement"}
            assert set(decision.available) <= {t.name for t in workflow.transitions_from(state)}
            continue
        declared = workflow.transition(name)
        assert before in declared.from_
        assert decision.from_state == before
        assert decision.to_state == declared.to
        assert may_fire(declared, caller)
        assert not workflow.state(before).terminal
        assert decision.closes == workflow.state(decision.to_state).terminal
        state = decision.to_state
        assert workflow.has_state(state)
        assert state in reachable


@settings(max_examples=100, deadline=None)
@given(workflow=any_workflow, caller=callers, given_inputs=inputs, name=names)
def test_terminal_states_are_final(
    workflow: Workflow, caller: Caller, given_inputs: Inputs, name: str
) -> None:
    for state in workflow.states:
        if not state.terminal:
            continue
        # Final even when a (generated, broken) definition declares a way out.
        assert available_transitions(workflow, state.name, caller) == []
        for candidate in [*(t.name for t in workflow.transitions), name]:
            outcome = attempt(workflow, state.name, candidate, caller, given_inputs)
            assert isinstance(outcome, TransitionRefused), f"{candidate} left {state.name}"
            assert outcome.reason in {"unknown", "not_from_state"}


@settings(max_examples=100, deadline=None)
@given(workflow=workflows())
def test_checker_flags_every_transition_out_of_a_terminal_state(workflow: Workflow) -> None:
    terminal = {s.name for s in workflow.states if s.terminal}
    leaving = [t for t in workflow.transitions if terminal & set(t.from_)]
    problems = check_workflow(workflow)
    assert len([p for p in problems if "leaves terminal state" in p[1]]) == sum(
        len(terminal & set(t.from_)) for t in leaving
    )


@settings(max_examples=100, deadline=None)
@given(workflow=workflows())
def test_checker_flags_exactly_the_unreachable_states(workflow: Workflow) -> None:
    reachable = reachable_states(workflow)
    flagged = {p[1].split("'")[1] for p in check_workflow(workflow) if "cannot be reached" in p[1]}
    assert flagged == {s.name for s in workflow.states} - reachable


@settings(max_examples=150, deadline=None)
@given(workflow=any_workflow, caller=callers, data=st.data())
def test_every_available_transition_fires_once_its_requirements_are_met(
    workflow: Workflow, caller: Caller, data: st.DataObject
) -> None:
    state = data.draw(st.sampled_from([s.name for s in workflow.states]))
    for transition in available_transitions(workflow, state, caller):
        met = Inputs(
            comment="Begründung",
            data=dict.fromkeys(transition.requires.fields, "x"),
            documents=frozenset(transition.requires.documents),
        )
        decision = decide(workflow, state, transition.name, caller, met)
        assert decision.to_state == transition.to
        assert decision.notify == tuple(dict.fromkeys(transition.notifies))
        target = workflow.state(transition.to)
        leaves = transition.to != state
        assert decision.cancel_timers == (leaves and workflow.state(state).timer is not None)
        if leaves:
            assert decision.set_timer == target.timer
        expected_sla = (
            None
            if target.sla == workflow.state(state).sla
            else {"runs": "run", "paused": "pause", "stopped": "stop"}[target.sla]
        )
        assert decision.sla == expected_sla


@settings(max_examples=150, deadline=None)
@given(workflow=any_workflow, caller=callers, given_inputs=inputs, data=st.data())
def test_refusals_come_in_the_fixed_order(
    workflow: Workflow, caller: Caller, given_inputs: Inputs, data: st.DataObject
) -> None:
    state = data.draw(st.sampled_from([s.name for s in workflow.states]))
    transition = data.draw(st.sampled_from(workflow.transitions))
    outcome = attempt(workflow, state, transition.name, caller, given_inputs)
    if state not in transition.from_ or workflow.state(state).terminal:
        expected = "not_from_state"
    elif not may_fire(transition, caller):
        expected = "actor"
    elif missing_requirements(transition, given_inputs):
        expected = "requirement"
    else:
        expected = "allowed"
    if isinstance(outcome, TransitionRefused):
        assert outcome.reason == expected
        assert (outcome.missing != []) == (expected == "requirement")
    else:
        assert expected == "allowed"
        assert outcome.to_state == transition.to


def test_shipped_workflows_are_sound() -> None:
    for workflow in shipped_workflows().values():
        assert check_workflow(workflow) == []
        assert reachable_states(workflow) == {s.name for s in workflow.states}


@settings(max_examples=100, deadline=None)
@given(actors_of_caller=st.frozensets(st.sampled_from(ACTORS)))
def test_only_the_applicant_may_submit_in_every_shipped_workflow(
    actors_of_caller: frozenset[Actor],
) -> None:
    caller = Caller(actors=actors_of_caller)
    for workflow in shipped_workflows().values():
        names_available = [t.name for t in available_transitions(workflow, "draft", caller)]
        assert names_available == (["submit"] if "applicant" in actors_of_caller else [])
