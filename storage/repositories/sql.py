"""Small SQL helpers shared by the repositories: which database a session talks to, and a
membership test that stays one parameter on PostgreSQL however long the list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession


def dialect(session: AsyncSession) -> str:
    bind = session.bind
    return bind.dialect.name if bind is not None else "sqlite"


def is_postgres(session: AsyncSession) -> bool:
    return dialect(session) == "postgresql"


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL ``column = ANY(:array)``: one bound array instead of
    one placeholder per value, so 500 store keys neither render 500 binds per statement nor
    make a new prepared statement for each list length."""
    listed = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, listed, type_=ARRAY(column.type)))
    return column.in_(listed)
