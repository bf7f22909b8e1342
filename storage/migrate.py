"""Schema upgrades. PLACEHOLDER until the Alembic environment lands: creates tables directly."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base


async def upgrade_to_head(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
