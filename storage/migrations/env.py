"""Alembic environment. Runs only on a connection handed over by storage.migrate.

The application builds the Alembic ``Config`` in code and passes an open connection in
``config.attributes["connection"]`` (see ``storage.migrate``); there is no alembic.ini.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.models import Base, UtcDateTime

target_metadata = Base.metadata


def render_item(kind: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Revisions spell out plain SQLAlchemy types, never application classes."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later revisions go through batch (copy-and-move).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported; use `opsbot db upgrade`")
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "migrations run through storage.migrate (`opsbot db upgrade`), "
            "which provides the database connection"
        )
    run_migrations(connection)


main()
