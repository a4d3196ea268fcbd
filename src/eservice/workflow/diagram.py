"""Mermaid state diagrams generated from workflow definitions."""

from __future__ import annotations

from eservice.workflow.definitions import INITIAL_STATE, Transition, Workflow


def _text(value: str) -> str:
    """A label safe inside Mermaid: quotes, colons and semicolons as entity codes."""
    text = " ".join(value.split()).replace(";", "#59;")
    return text.replace('"', "#quot;").replace(":", "#58;")


def mermaid(workflow: Workflow, lang: str = "de") -> str:
    """A ``stateDiagram-v2`` of ``workflow`` with labels in ``lang``.

    Each edge says the transition, who may fire it and what it requires; timers are dashed
    notes on their state.
    """
    lines = [
        "---",
        f"title: {_text(workflow.title.pick(lang))} ({workflow.name} v{workflow.version})",
        "---",
        "stateDiagram-v2",
    ]
    for state in workflow.states:
        lines.append(f'    state "{_text(state.label.pick(lang))}" as {_id(state.name)}')
    lines.append(f"    [*] --> {_id(INITIAL_STATE)}")
    for t in workflow.transitions:
        actors = ", ".join(t.actors)
        needs = [
            *(["comment"] if t.requires.comment else []),
            *t.requires.fields,
            *(f"doc {d}" for d in t.requires.documents),
        ]
        suffix = f" [needs {', '.join(needs)}]" if needs else ""
        label = _text(f"{t.label.pick(lang)} ({t.name} by {actors}){suffix}")
        for source in t.from_:
            lines.append(f"    {_id(source)} --> {_id(t.to)} : {label}")
    for state in workflow.states:
        if state.terminal:
            lines.append(f"    {_id(state.name)} --> [*]")
    for state in workflow.states:
        if state.timer is not None:
            lines.append(f"    note right of {_id(state.name)}")
            lines.append(f"        after {state.timer.after} - {state.timer.transition}")
            lines.append("    end note")
        if state.sla != "runs" and not state.terminal and state.name != INITIAL_STATE:
            lines.append(f"    note left of {_id(state.name)} : SLA {state.sla}")
    return "\n".join(lines) + "\n"


def _id(name: str) -> str:
    """A Mermaid state id (letters, digits, underscores)."""
    return name.replace("-", "_")


def markdown(workflow: Workflow) -> str:
    """A documentation page for ``workflow``: the diagram (German labels) and a table of moves."""
    rows = [
        f"| `{t.name}` | {', '.join(f'`{s}`' for s in t.from_)} | `{t.to}` | "
        f"{', '.join(t.actors)} | {_requirements(t)} | {', '.join(t.notifies) or '-'} |"
        for t in workflow.transitions
    ]
    states = [
        f"| `{s.name}` | {s.label.de} / {s.label.en} | {'yes' if s.terminal else 'no'} | {s.sla} | "
        f"{f'after {s.timer.after}: `{s.timer.transition}`' if s.timer else '-'} |"
        for s in workflow.states
    ]
    return "\n".join(
        [
            f"# {workflow.title.de} / {workflow.title.en} (`{workflow.name}` v{workflow.version})",
            "",
            "Generated from the workflow definition by `eservice catalog diagrams`; do not edit.",
            "",
            "```mermaid",
            mermaid(workflow, "de").rstrip("\n"),
            "```",
            "",
            "| state | label (de / en) | terminal | SLA clock | timer |",
            "|---|---|---|---|---|",
            *states,
            "",
            "| transition | from | to | actors | requires | notifies |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _requirements(transition: Transition) -> str:
    needs = [
        *(["comment"] if transition.requires.comment else []),
        *(f"field `{f}`" for f in transition.requires.fields),
        *(f"document `{d}`" for d in transition.requires.documents),
        *(["assignee only"] if transition.assignee_only else []),
    ]
    return ", ".join(needs) or "-"
