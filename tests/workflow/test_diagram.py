"""Mermaid diagrams: every state and every declared move is drawn; the docs are up to date."""

from __future__ import annotations

import pytest

from eservice.cli.catalog import diagram_file_name
from eservice.workflow.diagram import markdown, mermaid
from tests.conftest import REPO
from tests.workflow.shipped import shipped_workflows


@pytest.mark.parametrize("name", sorted(shipped_workflows()))
def test_diagram_draws_every_state_and_declared_move(name: str) -> None:
    workflow = shipped_workflows()[name]
    diagram = mermaid(workflow, "en")
    assert diagram.splitlines()[3] == "stateDiagram-v2"
    for state in workflow.states:
        assert f" as {state.name.replace('-', '_')}\n" in diagram
    edges = [line.strip() for line in diagram.splitlines() if " --> " in line and "[*]" not in line]
    expected = sorted(f"{s} --> {t.to}" for t in workflow.transitions for s in t.from_)
    assert sorted(e.split(" : ")[0] for e in edges) == expected
    for state in workflow.states:
        if state.terminal:
            assert f"{state.name} --> [*]" in diagram


def test_labels_with_colons_and_quotes_cannot_break_the_diagram() -> None:
    text = mermaid(shipped_workflows()["permit"], "de")
    assert "Antragsteller#58;in" in text
    assert '"' not in text.replace('state "', "").replace('" as', "")


@pytest.mark.parametrize("name", sorted(shipped_workflows()))
def test_generated_workflow_docs_are_up_to_date(name: str) -> None:
    workflow = shipped_workflows()[name]
    page = REPO / "docs" / "workflows" / diagram_file_name(workflow.name, workflow.version)
    assert page.read_text(encoding="utf-8") == markdown(workflow), (
        "run `eservice catalog diagrams` to regenerate docs/workflows/"
    )
