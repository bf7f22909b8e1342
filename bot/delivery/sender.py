"""The outbox sender: delivers queued proactive messages under Telegram's limits.

Payloads (``OutboxMessage.payload``, JSON) are built by ``bot.delivery.payloads``
(``message_payload``, ``photo_payload``, ``document_payload``); the sender does not look inside.

How a drain works:

* Due rows are claimed by ``Priority`` (alerts first, digests last) then id, with
  ``outbox.pending(lock=True)`` (FOR UPDATE SKIP LOCKED on PostgreSQL). The claim moves their
  ``not_before`` forward by a lease and commits, so other senders skip them while this one
  works without holding a transaction open across HTTP calls. Rows still unsent when the drain
  ends are given their old ``not_before`` back; after a crash they come due when the lease ends.
* Within a claimed batch each chat's messages keep their order; ``concurrency`` workers each
  take the first message (by priority) of a chat nobody is sending to, the one the
  ``RateLimiter`` lets through soonest. Several calls in flight keep the rate near the ceiling
  even when Telegram answers slowly; the limiter is checked and updated atomically.
* Each row is marked in its own short transaction right after Telegram answers.
* ``TelegramRetryAfter`` (429): the chat is blocked for ``retry_after`` and the row retried
  (attempts are not counted) once the block ends, other chats going on meanwhile; after
  ``MAX_RATE_LIMIT_RETRIES`` 429s in one drain it is rescheduled for a later drain.
* 5xx, network errors, timeouts, undecodable answers (a 502 from the proxy is HTML): retried
  with exponential backoff (1, 2, 4, ... s, at most 5 min), given up after ``MAX_ATTEMPTS``.
* 403: the row fails for good and the member is marked unreachable, in one transaction that
  also queues one notice to their department's managers (dedupe key per member).
* 400 and other permanent errors (bad HTML, unknown chat, invalid payload): failed for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.limits import RateLimiter, RateLimits, Sleep
from bot.delivery.notices import queue_unreachable_notice
from bot.delivery.payloads import PayloadError, deliver
from storage.models import OutboxMessage
from storage.repositories import members, outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300.0
MAX_RATE_LIMIT_RETRIES = 5
DEFAULT_BATCH_SIZE = 100
DEFAULT_CONCURRENCY = 8
IN_FLIGHT_RECHECK_SECONDS = 0.05
# A claimed batch is hidden from other senders this long; after a crash its unsent rows come
# due again when the lease ends. A batch stops sending at 80 % of the lease.
DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_REQUEST_TIMEOUT = 30

_TRANSIENT = (
    TelegramServerError,
    TelegramNetworkError,
    ClientDecodeError,
    TimeoutError,
)
_PERMANENT = (TelegramBadRequest, TelegramNotFound, TelegramMigrateToChat, PayloadError)


def backoff_seconds(attempts: int) -> float:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, ... seconds, capped at 5 min."""
    return float(min(2.0 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.unreachable

    def add(self, other: DrainReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.unreachable += other.unreachable


@dataclass
class _Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    not_before: datetime  # before the lease, restored if the row is not sent
    rate_limited: int = 0  # 429s in this drain


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        limits: RateLimits | None = None,
        sleep: Sleep = asyncio.sleep,
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease: timedelta = DEFAULT_LEASE,
        request_timeout: int | None = DEFAULT_REQUEST_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.clock = clock
        self.limiter = RateLimiter(limits)
        self.sleep = sleep
        self.batch_size = batch_size
        self.lease = lease
        self.request_timeout = request_timeout
        self.concurrency = max(1, concurrency)
        self._stop: asyncio.Event | None = None  # set by run(): finish in-flight calls, stop

    # public API

    async def drain_once(self, max_messages: int | None = None) -> DrainReport:
        """Send what is due now (at most ``max_messages`` rows handled); return the counts."""
        report = DrainReport()
        while max_messages is None or report.handled < max_messages:
            if self._stop is not None and self._stop.is_set():
                break
            limit = self.batch_size
            if max_messages is not None:
                limit = min(limit, max_messages - report.handled)
            batch = await self._claim(limit)
            if not batch:
                break
            report.add(await self._send_batch(batch, refill=max_messages is None))
        return report

    async def run(self, stop: asyncio.Event, idle_sleep: float = 1.0) -> None:
        """Drain until ``stop`` is set, pausing up to ``idle_sleep`` s when nothing is due.

        Once ``stop`` is set no new call starts; calls in flight finish and are recorded.
        """
        self._stop = stop
        while not stop.is_set():
            try:
                report = await self.drain_once(max_messages=self.batch_size)
            except TelegramUnauthorizedError:
                log.error("outbox: the bot token was rejected; sender stops")
                raise
            except Exception:
                log.exception("outbox: drain failed; trying again shortly")
                report = DrainReport()
            if report.handled:
                continue
            pause = idle_sleep
            due = await self.next_due()
            if due is not None:
                pause = min(pause, max((due - self.clock.now()).total_seconds(), 0.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def next_due(self) -> datetime | None:
        """When the earliest pending message comes due (None: the queue is empty)."""
        async with self.session_factory() as session:
            return await outbox.next_due(session)

    # claiming

    async def _claim(self, limit: int) -> list[_Claimed]:
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            taken = await outbox.claim(session, now, limit, now + self.lease)
            return [
                _Claimed(row.id, row.chat_id, dict(row.payload), row.attempts, previous)
                for row, previous in taken
            ]

    async def _release(self, rows: list[_Claimed]) -> None:
        if not rows:
            return
        async with self.session_factory() as session, session.begin():
            for row in rows:
                await outbox.release(session, row.id, row.not_before)

    # sending

    def _now_ts(self) -> float:
        return self.clock.now().timestamp()

    async def _send_batch(self, batch: list[_Claimed], *, refill: bool = False) -> DrainReport:
        """Send a claimed batch with up to ``concurrency`` calls in flight.

        One loop decides every send (so the limiter is consulted and updated in one place, and
        only this loop ever sleeps); each call runs as a task. A chat has at most one call in
        flight, which keeps its messages in order. With ``refill``, more due rows are claimed
        whenever nothing claimed can go now (e.g. the batch's last chats wait out a 429), so a
        broadcast never idles at batch boundaries.
        """
        report = DrainReport()
        remaining = list(batch)
        in_flight: dict[asyncio.Task[bool], _Claimed] = {}
        deadline = self._now_ts() + self.lease.total_seconds() * 0.8
        try:
            while remaining or in_flight:
                now = self._now_ts()
                pick = None
                stopping = self._stop is not None and self._stop.is_set()
                if len(in_flight) < self.concurrency and now < deadline and not stopping:
                    pick = self._pick(remaining, {row.chat_id for row in in_flight.values()})
                idle = pick is None or pick[1] > 0
                if refill and idle and len(remaining) < self.batch_size:
                    more = []
                    if now < deadline and not stopping:
                        more = await self._claim(self.batch_size - len(remaining))
                    remaining.extend(more)
                    refill = bool(more)  # none due: stop asking until the next drain
                    if more:
                        continue
                if pick is not None and pick[1] <= 0:
                    row = pick[0]
                    remaining.remove(row)
                    self.limiter.record(row.chat_id, now)
                    in_flight[asyncio.create_task(self._send_row(row, report, now))] = row
                    continue
                if in_flight:
                    await self._wait_for_any(in_flight, remaining, pick)
                    continue
                if pick is None:
                    break  # past the deadline: the rest is released for the next drain
                await self.sleep(self._round_up(pick[1]))
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            await self._release(remaining + list(in_flight.values()))
        return report

    async def _wait_for_any(
        self,
        in_flight: dict[asyncio.Task[bool], _Claimed],
        remaining: list[_Claimed],
        pick: tuple[_Claimed, float] | None,
    ) -> None:
        """Wait until a call finishes or, when a message is waiting for the limiter, until it
        may go (with the injected sleep, so a test clock moves exactly as a real one would)."""
        waiters: set[asyncio.Task[Any]] = set(in_flight)
        timer: asyncio.Task[None] | None = None
        if pick is not None:
            # A call finishing may free a chat whose next message is due sooner: look again
            # after a short while rather than sleeping the whole wait.
            wait = min(pick[1], IN_FLIGHT_RECHECK_SECONDS)
            timer = asyncio.ensure_future(self.sleep(self._round_up(wait)))
            waiters.add(timer)
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if timer is not None and timer not in done:
            timer.cancel()
        for task in done:
            if task is timer:
                continue
            again = task.result()  # raises (token rejected) with the row leased
            row = in_flight.pop(task)
            if again:
                remaining.insert(0, row)  # still first of its chat: order kept

    @staticmethod
    def _round_up(seconds: float) -> float:
        # Clocks tick in microseconds: round up so that a sleep always moves them.
        return math.ceil(seconds * 1e6) / 1e6

    def _pick(
        self, remaining: list[_Claimed], busy_chats: set[int]
    ) -> tuple[_Claimed, float] | None:
        """The first message of a chat with no call in flight that may be sent soonest, and
        how long until it may (priority order breaks ties)."""
        now = self._now_ts()
        seen = set(busy_chats)
        best: tuple[_Claimed, float] | None = None
        for row in remaining:
            if row.chat_id in seen:
                continue
            seen.add(row.chat_id)
            wait = self.limiter.delay(row.chat_id, now)
            if wait <= 0:
                return row, 0.0
            if best is None or wait < best[1]:
                best = (row, wait)
        return best

    async def _send_row(self, row: _Claimed, report: DrainReport, recorded_at: float) -> bool:
        """Deliver one row (its send is already recorded by the limiter); True if it was rate
        limited and should be tried again soon."""
        try:
            await deliver(self.bot, row.chat_id, row.payload, self.request_timeout)
        except TelegramRetryAfter as exc:
            # Honour retry_after for the whole chat: the limiter holds back every message to
            # it until then, while other chats carry on.
            self.limiter.block(row.chat_id, self._now_ts() + exc.retry_after)
            self.limiter.refund(recorded_at)
            report.retried += 1
            row.rate_limited += 1
            log.warning(
                "outbox #%s: rate limited by Telegram, retry after %ss", row.id, exc.retry_after
            )
            if row.rate_limited < MAX_RATE_LIMIT_RETRIES:
                return True
            await self._reschedule(row, exc.retry_after, self._describe(exc))
            return False
        except TelegramForbiddenError as exc:
            await self._mark_unreachable(row, self._describe(exc))
            report.unreachable += 1
            return False
        except _PERMANENT as exc:
            await self._mark_failed(row, self._describe(exc), retry=False)
            log.error("outbox #%s: failed for good: %s", row.id, self._describe(exc))
            report.failed += 1
            return False
        except TelegramUnauthorizedError:
            raise
        except (*_TRANSIENT, TelegramAPIError) as exc:
            if await self._mark_failed(row, self._describe(exc), retry=True):
                report.retried += 1
            else:
                report.failed += 1
            return False
        # Telegram accepted it: mark it sent at once, in its own transaction. A crash before
        # this commit resends only this one message; nothing else was in flight.
        await self._mark_sent(row)
        report.sent += 1
        return False

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"[:1000]
        return text.replace(self.bot.token, "<token>") if self.bot.token else text

    # bookkeeping, one short transaction each

    async def _load(self, session: AsyncSession, row: _Claimed) -> OutboxMessage:
        message = await outbox.get(session, row.id)
        if message is None:
            raise LookupError(f"outbox row {row.id} disappeared")
        return message

    async def _mark_sent(self, row: _Claimed) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_sent(session, await self._load(session, row), self.clock.now())

    async def _mark_failed(self, row: _Claimed, error: str, *, retry: bool) -> bool:
        """Record a failed attempt; True if it will be retried, False if given up."""
        attempts = row.attempts + 1
        retry_at: datetime | None = None
        if retry and attempts < MAX_ATTEMPTS:
            retry_at = self.clock.now() + timedelta(seconds=backoff_seconds(attempts))
        async with self.session_factory() as session, session.begin():
            await outbox.mark_failed(session, await self._load(session, row), error, retry_at)
        if retry_at is None and retry:
            log.error("outbox #%s: giving up after %s attempts: %s", row.id, attempts, error)
        elif retry_at is not None:
            log.warning(
                "outbox #%s: attempt %s failed (%s), retry at %s",
                row.id,
                attempts,
                error,
                retry_at.isoformat(),
            )
        return retry_at is not None

    async def _reschedule(self, row: _Claimed, seconds: float, error: str) -> None:
        async with self.session_factory() as session, session.begin():
            retry_at = self.clock.now() + timedelta(seconds=seconds)
            await outbox.reschedule(session, await self._load(session, row), retry_at, error)

    async def _mark_unreachable(self, row: _Claimed, error: str) -> None:
        async with self.session_factory() as session, session.begin():
            await outbox.mark_failed(session, await self._load(session, row), error, None)
            if row.chat_id > 0:
                await members.mark_unreachable(session, row.chat_id)
                await queue_unreachable_notice(session, row.chat_id, self.clock.now())
        log.warning("outbox #%s: chat %s blocked the bot; marked unreachable", row.id, row.chat_id)
