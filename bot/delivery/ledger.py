"""The sender's bookkeeping: claimed rows and what became of them, one short transaction each.

A ``Claimed`` row is the sender's copy of an outbox row it holds under a lease (its
``not_before`` moved to ``lease_until``); ``Ledger`` claims, renews and releases leases and
records each outcome (a part sent, sent, failed, rescheduled, unreachable) right after Telegram
answers, so a crash loses at most the one call in flight per chat.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.notices import queue_unreachable_notice
from bot.delivery.payloads import calls_of
from storage.models import OutboxMessage
from storage.repositories import members, outbox

log = logging.getLogger(__name__)


@dataclass
class Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    not_before: datetime  # before the lease, restored if the row is not sent
    lease_until: datetime
    parts_sent: int = 0  # calls already made for it (a long text goes out as several)
    expires_at: float | None = None  # timestamp; None: never stale
    rate_limited: int = 0  # 429s in this drain
    calls: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, row: OutboxMessage, previous: datetime, lease_until: datetime) -> Claimed:
        payload = dict(row.payload)
        return cls(
            id=row.id,
            chat_id=row.chat_id,
            payload=payload,
            attempts=row.attempts,
            not_before=previous,
            lease_until=lease_until,
            parts_sent=row.parts_sent,
            expires_at=row.expires_at.timestamp() if row.expires_at is not None else None,
            calls=calls_of(payload),
        )

    @property
    def next_call(self) -> dict[str, Any]:
        return self.calls[min(self.parts_sent, len(self.calls) - 1)]

    @property
    def last_part(self) -> bool:
        return self.parts_sent + 1 >= len(self.calls)

    def stale(self, now: float) -> bool:
        """Gone stale before its first call (a message half sent is always finished)."""
        return self.parts_sent == 0 and self.expires_at is not None and self.expires_at <= now


class Ledger:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        lease: timedelta,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.lease = lease

    # leases

    async def claim(self, limit: int) -> list[Claimed]:
        now = self.clock.now()
        lease_until = now + self.lease
        async with self.session_factory() as session, session.begin():
            taken = await outbox.claim(session, now, limit, lease_until)
            return [Claimed.of(row, previous, lease_until) for row, previous in taken]

    async def renew(self, rows: list[Claimed]) -> set[int]:
        """Extend the lease of ``rows``; the ids still held (a row missing was lost)."""
        new_lease = self.clock.now() + self.lease
        held: set[int] = set()
        by_lease: dict[datetime, list[Claimed]] = defaultdict(list)
        for row in rows:
            by_lease[row.lease_until].append(row)
        async with self.session_factory() as session, session.begin():
            for lease_until, group in by_lease.items():
                held |= await outbox.renew(session, [r.id for r in group], lease_until, new_lease)
        for row in rows:
            if row.id in held:
                row.lease_until = new_lease
        return held

    async def release(self, rows: list[Claimed]) -> None:
        if not rows:
            return
        groups: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        for row in rows:
            groups[(row.lease_until, row.not_before)].append(row.id)
        async with self.session_factory() as session, session.begin():
            for (lease_until, not_before), ids in groups.items():
                await outbox.release(session, ids, lease_until, not_before)

    # outcomes

    async def _load(self, session: AsyncSession, row: Claimed) -> OutboxMessage:
        message = await outbox.get(session, row.id)
        if message is None:
            raise LookupError(f"outbox row {row.id} disappeared")
        return message

    async def part_sent(self, row: Claimed) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_part_sent(session, await self._load(session, row))
        row.parts_sent += 1

    async def sent(self, row: Claimed) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_sent(session, await self._load(session, row), self.clock.now())
        row.parts_sent += 1

    async def failed(self, row: Claimed, error: str, retry_at: datetime | None) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_failed(session, await self._load(session, row), error, retry_at)

    async def reschedule(self, row: Claimed, seconds: float, error: str) -> None:
        async with self.session_factory() as session, session.begin():
            retry_at = self.clock.now() + timedelta(seconds=seconds)
            await outbox.reschedule(session, await self._load(session, row), retry_at, error)

    async def unreachable(self, row: Claimed, error: str) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_failed(session, await self._load(session, row), error, None)
            if row.chat_id > 0:
                await members.mark_unreachable(session, row.chat_id)
                await queue_unreachable_notice(session, row.chat_id, self.clock.now())
        log.warning("outbox #%s: chat %s blocked the bot; marked unreachable", row.id, row.chat_id)
