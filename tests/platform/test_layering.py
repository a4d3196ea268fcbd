"""Imports point down (style rule 14): each package of ``src/eservice`` imports only packages
of a lower layer, ``core`` knows no context, and process composition sits on top."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "eservice"

# Lowest first. A package may import itself and any package of an earlier layer, never a later
# one. Packages in one layer do not import each other. The top modules compose the process.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"events"}),  # the events/outbox contract every writer uses
    frozenset({"workflow"}),
    frozenset({"identity"}),
    frozenset({"catalog"}),
    frozenset({"requests"}),
    frozenset({"attachments"}),
    frozenset({"queues", "notifications", "health", "statistics"}),
    frozenset({"privacy"}),  # retention, export, erasure, audit: orchestrated above contexts
    frozenset(
        {"ogc", "opendata", "open311"}
    ),  # adapters of public standards on top of the contexts
    frozenset({"web"}),  # the pages: an adapter on top of the contexts, like the API's routes
    frozenset({"worker"}),  # eservice/worker.py: the worker's job list
    frozenset({"app"}),  # eservice/app.py: the routes and lifespans of the API
    frozenset({"cli"}),
)
# Known upward imports, each a follow-up to remove: requests' transition rules ask which
# document kinds a request has (attachments.repository.document_kinds_present).
KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset({("requests", "attachments")})


def layer_of(package: str) -> int:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"eservice.{package} has no place in LAYERS of {__file__}; add it")


def package_imports() -> dict[str, dict[str, set[str]]]:
    """Per top-level package (or root module): the packages it imports, with the importing files."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts == ("__init__.py",):
            continue
        package = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "eservice":
                    names = [f"eservice.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "eservice" and len(parts) > 1 and parts[1] != package:
                    found[package][parts[1]].add(str(relative))
    return found


def upward_imports(imports: dict[str, dict[str, set[str]]]) -> list[str]:
    wrong = []
    for package, targets in imports.items():
        for target, files in targets.items():
            if (package, target) in KNOWN_UPWARD:
                continue
            if layer_of(target) >= layer_of(package):
                wrong.append(f"{package} -> {target} ({', '.join(sorted(files))})")
    return sorted(wrong)


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    for name in packages | modules:
        layer_of(name)


def test_imports_point_down() -> None:
    assert upward_imports(package_imports()) == []


def test_core_imports_no_context() -> None:
    assert set(package_imports().get("core", {})) == set()


def test_known_upward_imports_still_exist() -> None:
    """An exception that is no longer needed is removed from KNOWN_UPWARD."""
    imports = package_imports()
    for package, target in KNOWN_UPWARD:
        assert target in imports.get(package, {}), (package, target)


def test_no_cycles_among_packages_except_the_known_ones() -> None:
    imports = package_imports()
    edges = {
        (package, target)
        for package, targets in imports.items()
        for target in targets
        if (package, target) not in KNOWN_UPWARD
    }
    graph: dict[str, set[str]] = defaultdict(set)
    for package, target in edges:
        graph[package].add(target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_checker_sees_an_upward_import() -> None:
    """The rule itself: core importing a context, or a context its composer, is refused."""
    assert upward_imports({"core": {"requests": {"core/x.py"}}}) == ["core -> requests (core/x.py)"]
    assert upward_imports({"notifications": {"worker": {"notifications/x.py"}}}) != []
    assert upward_imports({"catalog": {"notifications": {"catalog/x.py"}}}) != []
    assert upward_imports({"requests": {"core": {"requests/x.py"}}}) == []
