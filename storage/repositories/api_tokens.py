"""HTTP API tokens and idempotency records, and the reads the API serves. No commits here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiIdempotency, ApiToken, DailyValue, Report


async def add_token(
    session: AsyncSession, *, name: str, token_hash: str, scope: str, read_only: bool, now: datetime
) -> ApiToken:
    token = ApiToken(
        name=name, token_hash=token_hash, scope=scope, read_only=read_only, created_at=now
    )
    session.add(token)
    await session.flush()
    return token


async def token_by_name(session: AsyncSession, name: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.name == name))


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    return (await session.scalars(select(ApiToken).order_by(ApiToken.name))).all()


async def revoke_token(session: AsyncSession, name: str, now: datetime) -> bool:
    """Mark the token revoked; False when there is no such token or it was revoked already."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def find_idempotency(session: AsyncSession, token_id: int, key: str) -> ApiIdempotency | None:
    return await session.scalar(
        select(ApiIdempotency).where(ApiIdempotency.token_id == token_id, ApiIdempotency.key == key)
    )


async def claim_idempotency(
    session: AsyncSession, *, token_id: int, key: str, body_sha256: str, now: datetime
) -> ApiIdempotency:
    """Insert the record (status 0 until the answer is known); a concurrent claim of the same
    key fails here with an IntegrityError when the other transaction commits."""
    row = ApiIdempotency(
        token_id=token_id, key=key, body_sha256=body_sha256, status_code=0, response={},
        created_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def finish_idempotency(
    session: AsyncSession, row: ApiIdempotency, status_code: int, response: dict[str, Any]
) -> None:
    row.status_code = status_code
    row.response = response
    await session.flush()


async def forget_idempotency(session: AsyncSession, row_id: int) -> None:
    await session.execute(delete(ApiIdempotency).where(ApiIdempotency.id == row_id))


async def purge_idempotency(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(ApiIdempotency).where(ApiIdempotency.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class DayRow:
    day: date
    form: str
    revision: int
    values: dict[str, float]


async def store_days(
    session: AsyncSession, store_id: int, start: date, end: date, metric: str | None = None
) -> list[DayRow]:
    """The store's reports from ``start`` to ``end``: current values and revision numbers."""
    query = (
        select(Report.id, Report.business_date, Report.form, Report.revision, DailyValue.metric,
               DailyValue.value)
        .outerjoin(DailyValue, DailyValue.report_id == Report.id)
        .where(
            Report.subject_key == f"store:{store_id}",
            Report.business_date >= start,
            Report.business_date <= end,
        )
        .order_by(Report.business_date, Report.form, DailyValue.metric)
    )  # fmt: skip
    rows: dict[int, DayRow] = {}
    for report_id, day, form, revision, key, value in (await session.execute(query)).all():
        row = rows.setdefault(report_id, DayRow(day, form, revision, {}))
        if key is not None and (metric is None or key == metric):
            row.values[key] = value
    return [row for row in rows.values() if metric is None or row.values]
