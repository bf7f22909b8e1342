"""The outbox sender: delivers queued proactive messages under Telegram's limits.

Payloads (``OutboxMessage.payload``, JSON) are built by ``bot.delivery.payloads``
(``message_payload``, ``photo_payload``, ``document_payload``); the sender only asks
``calls_of`` how many calls a payload takes (a text over 4096 characters, a caption over 1024).

How a drain works:

* Stale rows are swept first (``bot.delivery.expiry``): marked ``expired``, named in one
  "while the bot was offline" message per chat, never sent late.
* Due rows are claimed by ``Priority`` (alerts first, digests last) then id, with
  ``outbox.pending(lock=True)`` (FOR UPDATE SKIP LOCKED on PostgreSQL). The claim moves their
  ``not_before`` forward by a lease and commits, so other senders skip them while this one
  works without holding a transaction open across HTTP calls. The lease is renewed while the
  drain goes on; rows still unsent when it ends get their old ``not_before`` back, and after a
  crash they come due when the lease ends.
* Within the claimed rows each chat's messages keep their order (a message sent as several
  calls is one row: its parts cannot be overtaken); ``concurrency`` workers each take the first
  message (by priority) of a chat nobody is sending to, the one the ``RateLimiter`` lets
  through soonest. Several calls in flight keep the rate near the ceiling even when Telegram
  answers slowly; the limiter is checked and updated in one place.
* Every call counts against the limits, from its start until a period after its answer, be it
  accepted or refused. Each row (each part) is marked in its own short transaction right after
  Telegram answers.
* ``TelegramRetryAfter`` (429): the chat is blocked for ``retry_after`` and the row retried
  (attempts are not counted) once the block ends, other chats going on meanwhile; several chats
  refused within a second slow the overall pace down for a while. After
  ``MAX_RATE_LIMIT_RETRIES`` 429s in one drain the row is rescheduled for a later drain.
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
from bot.delivery.expiry import sweep_stale
from bot.delivery.ledger import Claimed, Ledger
from bot.delivery.limits import Call, RateLimiter, RateLimits, Sleep
from bot.delivery.payloads import PayloadError, deliver
from bot.metrics import Metrics
from storage.repositories import outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF_SECONDS = 300.0
MAX_RATE_LIMIT_RETRIES = 5
DEFAULT_BATCH_SIZE = 100
DEFAULT_CONCURRENCY = 8
IN_FLIGHT_RECHECK_SECONDS = 0.05
# Claimed rows are hidden from other senders this long; after a crash their unsent rows come
# due again when the lease ends. The lease is renewed when 80 % of it has passed.
DEFAULT_LEASE = timedelta(seconds=60)
RENEW_AT = 0.8
DEFAULT_REQUEST_TIMEOUT = 30

_TRANSIENT = (
    TelegramServerError,
    TelegramNetworkError,
    ClientDecodeError,
    TimeoutError,
)
_PERMANENT = (TelegramBadRequest, TelegramNotFound, TelegramMigrateToChat, PayloadError)


def send_result(exc: BaseException | None) -> str:
    """The metric label of a call's outcome."""
    if exc is None:
        return "ok"
    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramServerError):
        return "5xx"
    if isinstance(exc, TelegramForbiddenError):
        return "403"
    return "other"


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
        metrics: Metrics | None = None,
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
        self.metrics = metrics
        self.ledger = Ledger(session_factory, clock, lease)
        self._stop: asyncio.Event | None = None  # set by run(): finish in-flight calls, stop
        # Chats whose message was put off to a later drain (a 5xx backoff, repeated 429s): their
        # later messages wait as long, so none overtakes it.
        self._put_off: dict[int, datetime] = {}

    # public API

    async def drain_once(self, max_messages: int | None = None) -> DrainReport:
        """Send what is due now (at most ``max_messages`` rows handled); return the counts."""
        report = DrainReport()
        await sweep_stale(self.session_factory, self.clock.now())
        while max_messages is None or report.handled < max_messages:
            if self._stopping:
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
                report = await self.drain_once()
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

    @property
    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def _claim(self, limit: int) -> list[Claimed]:
        return await self.ledger.claim(limit)

    async def _release(self, rows: list[Claimed]) -> None:
        await self.ledger.release(rows)

    def _renew_at(self, rows: list[Claimed]) -> float:
        earliest = min((row.lease_until for row in rows), default=None)
        if earliest is None:
            return math.inf
        return (earliest - self.lease * (1 - RENEW_AT)).timestamp()

    async def _renew(
        self, remaining: list[Claimed], in_flight: dict[asyncio.Task[bool], Claimed]
    ) -> None:
        held = await self.ledger.renew(remaining + list(in_flight.values()))
        lost = [row for row in remaining if row.id not in held]
        for row in lost:
            remaining.remove(row)
            log.warning("outbox #%s: lease lost to another sender; not sent here", row.id)

    # sending

    def _now_ts(self) -> float:
        return self.clock.now().timestamp()

    async def _send_batch(self, batch: list[Claimed], *, refill: bool = False) -> DrainReport:
        """Send claimed rows with up to ``concurrency`` calls in flight.

        One loop decides every call (so the limiter is consulted and updated in one place, and
        only this loop ever sleeps); each call runs as a task. A chat has at most one call in
        flight, which keeps its messages in order. With ``refill``, more due rows are claimed
        before the claimed ones run out or when they all wait for their chats (e.g. the last
        chats wait out a 429), so a broadcast never idles between batches.
        """
        report = DrainReport()
        remaining = list(batch)
        stale: list[Claimed] = []
        in_flight: dict[asyncio.Task[bool], Claimed] = {}
        try:
            while remaining or in_flight:
                now = self._now_ts()
                if now >= self._renew_at(remaining + list(in_flight.values())):
                    await self._renew(remaining, in_flight)
                for row in [r for r in remaining if r.stale(now)]:
                    remaining.remove(row)  # left pending: the next sweep marks it expired
                    stale.append(row)
                pick = None
                if len(in_flight) < self.concurrency and not self._stopping:
                    pick = self._pick(remaining, {row.chat_id for row in in_flight.values()})
                free = len(in_flight) < self.concurrency
                if refill and free and self._wants_more(remaining, pick, now):
                    more = (
                        []
                        if self._stopping
                        else await self._claim(self.batch_size - len(remaining))
                    )
                    remaining.extend(more)
                    await self._hold_back_put_off(remaining)
                    refill = bool(more)  # none due: stop asking until the next drain
                    if more:
                        continue
                if pick is not None and pick[1] <= 0:
                    row = pick[0]
                    remaining.remove(row)
                    call = self.limiter.record(row.chat_id, now)
                    in_flight[asyncio.create_task(self._send_row(row, report, call))] = row
                    continue
                if in_flight:
                    await self._wait_for_any(in_flight, remaining, pick)
                    await self._hold_back_put_off(remaining)
                    continue
                if pick is None:
                    break  # stopping: the rest is released for the next drain
                await self.sleep(self._round_up(pick[1]))
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            await self._release(remaining + stale + list(in_flight.values()))
        return report

    async def _wait_for_any(
        self,
        in_flight: dict[asyncio.Task[bool], Claimed],
        remaining: list[Claimed],
        pick: tuple[Claimed, float] | None,
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

    async def _hold_back_put_off(self, remaining: list[Claimed]) -> None:
        """Release the later messages of chats whose message was put off, due no sooner."""
        if not self._put_off:
            return
        now = self.clock.now()
        self._put_off = {chat: until for chat, until in self._put_off.items() if until > now}
        held = [row for row in remaining if row.chat_id in self._put_off]
        for row in held:
            remaining.remove(row)
            row.not_before = max(row.not_before, self._put_off[row.chat_id])
        await self._release(held)

    def _wants_more(
        self, remaining: list[Claimed], pick: tuple[Claimed, float] | None, now: float
    ) -> bool:
        """Claim more rows when few are left, or when the claimed ones wait for their chats
        (a 429, a group's minute) longer than a fresh chat would wait for the overall pace.
        Not on every wait for the pace: a claim is a transaction the loop waits for."""
        if len(remaining) >= self.batch_size:
            return False
        if len(remaining) < self.batch_size // 2 or pick is None:
            return True
        return pick[1] > self.limiter.overall_delay(now)

    @staticmethod
    def _round_up(seconds: float) -> float:
        # Clocks tick in microseconds: round up so that a sleep always moves them.
        return math.ceil(seconds * 1e6) / 1e6

    def _pick(self, remaining: list[Claimed], busy_chats: set[int]) -> tuple[Claimed, float] | None:
        """The first message of a chat with no call in flight that may be sent soonest, and
        how long until it may (priority order breaks ties)."""
        now = self._now_ts()
        overall = self.limiter.overall_delay(now)
        seen = set(busy_chats)
        best: tuple[Claimed, float] | None = None
        for row in remaining:
            if row.chat_id in seen:
                continue
            seen.add(row.chat_id)
            wait = max(overall, self.limiter.chat_delay(row.chat_id, now))
            if wait <= overall:
                return row, wait  # nothing can go sooner than the overall pace allows
            if best is None or wait < best[1]:
                best = (row, wait)
        return best

    def _count(self, exc: BaseException | None) -> None:
        if self.metrics is not None:
            self.metrics.sent(send_result(exc))

    async def _send_row(self, row: Claimed, report: DrainReport, call: Call) -> bool:
        """Make the row's next call (already recorded by the limiter); True if the row should
        be tried again soon (rate limited, or more parts to send)."""
        try:
            await self._call(row, call)
        except TelegramRetryAfter as exc:
            # Honour retry_after for the whole chat: the limiter holds back every message to
            # it until then, while other chats carry on. The refused call still counted.
            self.limiter.refused(row.chat_id, self._now_ts(), exc.retry_after)
            report.retried += 1
            row.rate_limited += 1
            log.warning(
                "outbox #%s: rate limited by Telegram, retry after %ss", row.id, exc.retry_after
            )
            if row.rate_limited < MAX_RATE_LIMIT_RETRIES:
                return True
            await self.ledger.reschedule(row, exc.retry_after, self._describe(exc))
            self._put_off[row.chat_id] = self.clock.now() + timedelta(seconds=exc.retry_after)
            return False
        except TelegramForbiddenError as exc:
            await self.ledger.unreachable(row, self._describe(exc))
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
        # Telegram accepted it: mark it at once, in its own transaction. A crash before this
        # commit resends only this one call; nothing else to this chat was in flight.
        if not row.last_part:
            await self.ledger.part_sent(row)
            return True
        await self.ledger.sent(row)
        report.sent += 1
        return False

    async def _call(self, row: Claimed, call: Call) -> None:
        try:
            await deliver(self.bot, row.chat_id, row.next_call, self.request_timeout)
        except Exception as exc:
            self._count(exc)
            raise
        else:
            self._count(None)
        finally:
            # Answered, refused, broken off or cancelled: from now on it can no longer reach
            # Telegram, and it counts for one more period.
            self.limiter.answered(call, self._now_ts())

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"[:1000]
        return text.replace(self.bot.token, "<token>") if self.bot.token else text

    async def _mark_failed(self, row: Claimed, error: str, *, retry: bool) -> bool:
        """Record a failed attempt; True if it will be retried, False if given up."""
        attempts = row.attempts + 1
        retry_at: datetime | None = None
        if retry and attempts < MAX_ATTEMPTS:
            retry_at = self.clock.now() + timedelta(seconds=backoff_seconds(attempts))
        await self.ledger.failed(row, error, retry_at)
        if retry_at is not None:
            self._put_off[row.chat_id] = retry_at
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
