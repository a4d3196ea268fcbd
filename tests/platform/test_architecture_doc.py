"""docs/architecture.md describes the tree as it is: every folder of ``src/eservice`` is named
in it, and every folder and file it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "eservice"
DOC = (ROOT / "docs" / "architecture.md").read_text()


def _tree_block() -> str:
    match = re.search(r"```\nsrc/eservice/\n(.*?)```", DOC, re.DOTALL)
    assert match, "docs/architecture.md has no src/eservice/ tree"
    return match.group(1)


def _tree_entries() -> set[str]:
    return {
        line.split()[0]
        for line in _tree_block().splitlines()
        if line.startswith("  ") and line[2] != " "
    }


def _file_table() -> dict[str, list[str]]:
    """folder -> the names in its row of the files table."""
    rows = re.findall(r"^\| `([a-z_0-9]+/)` \| (.*) \|$", DOC, re.MULTILINE)
    assert rows, "docs/architecture.md has no table of files per folder"
    return {folder: re.findall(r"`([a-z_0-9]+/?)`", names) for folder, names in rows}


def test_every_folder_and_top_module_is_in_the_tree() -> None:
    folders = {p.name + "/" for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.name for p in SRC.glob("*.py") if p.name != "__init__.py"}
    assert _tree_entries() == folders | modules


def test_every_folder_has_its_row_of_files() -> None:
    folders = {p.name + "/" for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert set(_file_table()) == folders


def test_every_file_the_table_names_exists() -> None:
    missing = [
        f"{folder}{name}"
        for folder, names in _file_table().items()
        for name in names
        if not (SRC / folder / (name if name.endswith("/") else f"{name}.py")).exists()
    ]
    assert missing == []


def test_every_subfolder_is_named() -> None:
    table = _file_table()
    for folder in table:
        for sub in (SRC / folder).iterdir():
            if sub.is_dir() and sub.name != "__pycache__":
                assert f"{sub.name}/" in table[folder], f"{folder}{sub.name}/"
