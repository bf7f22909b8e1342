"""Open the database the settings point at, upgraded to the latest schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine, create_session_factory, is_sqlite
from storage.migrate import upgrade_to_head


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]

    async def close(self) -> None:
        await self.engine.dispose()


async def open_database(
    url: str,
    *,
    upgrade: bool = True,
    schema: str | None = None,
    connect_args: Mapping[str, Any] | None = None,
    pool_size: int | None = None,
) -> Database:
    """Create the engine (and bring the schema to head unless ``upgrade`` is False).

    ``schema`` (PostgreSQL only) routes every connection into that schema through the
    ``search_path``; ``connect_args`` go to the driver as they are.
    """
    args: dict[str, Any] = dict(connect_args or {})
    if schema is not None:
        if is_sqlite(url):
            raise ValueError("a schema can only be chosen on PostgreSQL")
        server_settings = dict(args.get("server_settings") or {})
        server_settings["search_path"] = schema
        args["server_settings"] = server_settings
    engine = create_engine(url, pool_size=pool_size, **({"connect_args": args} if args else {}))
    try:
        if upgrade:
            await upgrade_to_head(engine)
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine=engine, session_factory=create_session_factory(engine))
