"""The worker's job of the statistics: recompute the monthly figures."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.transaction import transaction
from eservice.statistics.service import refresh

REFRESH_EVERY_SECONDS = 1800.0


async def refresh_statistics(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Recompute the monthly figures in one transaction; returns 0 (nothing to count)."""
    async with transaction(sessionmaker) as session:
        await refresh(session, settings)
    return 0
