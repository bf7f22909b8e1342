"""Open the database the settings point at, upgraded to the latest schema."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine, create_session_factory
from storage.migrate import upgrade_to_head


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]

    async def close(self) -> None:
        await self.engine.dispose()


async def open_database(url: str, *, upgrade: bool = True) -> Database:
    engine = create_engine(url)
    if upgrade:
        await upgrade_to_head(engine)
    return Database(engine=engine, session_factory=create_session_factory(engine))
