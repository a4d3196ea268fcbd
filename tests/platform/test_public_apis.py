"""eservice uses libraries through their public APIs only (style.md: "Public APIs only")."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "eservice"

# namedtuple's public methods start with an underscore so as not to clash with field names.
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def _private_uses(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
            owner = node.value
            if (
                name.startswith("_")
                and not name.startswith("__")
                and name not in NAMEDTUPLE_API
                and not (isinstance(owner, ast.Name) and owner.id in {"self", "cls"})
            ):
                found.append((node.lineno, f".{name}"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "eservice":
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_sa_"):
            found.append((node.lineno, f"{node.arg}="))
    return found


def test_no_private_attribute_of_another_object_is_used_in_src() -> None:
    offences = [
        f"{path.relative_to(SRC.parent)}:{line}: {what}"
        for path in sorted(SRC.rglob("*.py"))
        for line, what in _private_uses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offences == []


def test_the_check_finds_the_kinds_of_use_it_forbids() -> None:
    source = (
        "from sqlalchemy.orm import _private\n"
        "adapted._transaction\n"
        "session.get_bind(_sa_skip_events=True)\n"
        "self._own\n"
        "parts._replace(netloc='x')\n"
    )
    found = [what for _, what in _private_uses(ast.parse(source))]
    assert found == ["from sqlalchemy.orm import _private", "._transaction", "_sa_skip_events="]
