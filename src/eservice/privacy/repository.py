"""The SQL of the deletion register."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.privacy.tables import DeletionRegisterRow


async def register_deletions(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    if entries:
        await session.execute(insert(DeletionRegisterRow), list(entries))
