"""Fixtures of the catalogue tests: an editable copy of the shipped catalogue."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import REPO


class CatalogCopy:
    """A copy of ``services/`` and ``workflows/`` in a temporary root, to break on purpose."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(REPO / "services", root / "services")
        shutil.copytree(REPO / "workflows", root / "workflows")

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        self.path(relative).write_text(text, encoding="utf-8")

    def replace(self, relative: str, old: str, new: str, count: int = 1) -> None:
        """Replace ``old`` (which must occur) by ``new`` in a file."""
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, count))

    def edit_json(self, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
        import json

        data = json.loads(self.read(relative))
        change(data)
        self.write(relative, json.dumps(data, ensure_ascii=False, indent=2))


@pytest.fixture
def catalog_copy(tmp_path: Path) -> CatalogCopy:
    return CatalogCopy(tmp_path)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment the ``eservice`` command accepts (no test-only ESERVICE_ variables)."""
    import os

    for key in list(os.environ):
        if key.startswith("ESERVICE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ESERVICE_LOG_LEVEL", "WARNING")
    return monkeypatch


@pytest.fixture
async def rollback_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose transaction is rolled back: publishing in it changes nothing."""
    async with sessionmaker() as session:
        await session.begin()
        try:
            yield session
        finally:
            await session.rollback()
