"""One outbox sender for the whole deployment: the holder of the "outbox-sender" lease.

Every process runs a ``SenderLeader``. It tries to take the lease (``storage.repositories.leases``)
and, while it holds it, runs the ``OutboxSender``; it renews the lease every third of its length
and stops sending at once when a renewal fails or does not answer before the lease would end.
A process that does not hold the lease waits until the holder's lease ends (at most a third of
the lease between looks), so a dead leader is replaced within one lease.

The sender's per-row claim already keeps two senders from sending one row twice; the lease is
what makes Telegram's rate limits (30/s, 1/s per chat, 20/min per group) hold for the deployment,
since each sender paces only its own calls. A leader that takes over from another waits until one
second after the other's lease ended before its first call: the other's last second of calls is
unknown to its pacing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.sender import OutboxSender
from bot.metrics import Metrics
from storage.repositories import leases

log = logging.getLogger(__name__)

LEASE_NAME = "outbox-sender"
DEFAULT_LEADER_LEASE = timedelta(seconds=10)
HANDOVER_PAUSE_SECONDS = 1.0  # the overall rate window


def holder_id() -> str:
    """Unique per process start: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class SenderLeader:
    def __init__(
        self,
        sender: OutboxSender,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        lease: timedelta = DEFAULT_LEADER_LEASE,
        holder: str | None = None,
        metrics: Metrics | None = None,
        handover_pause: float = HANDOVER_PAUSE_SECONDS,
    ) -> None:
        self.sender = sender
        self.session_factory = session_factory
        self.clock = clock
        self.lease = lease
        self.holder = holder or holder_id()
        self.metrics = metrics
        self.handover_pause = handover_pause
        self.terms = 0  # leadership terms begun
        self.refused = 0  # looks at a lease another process held
        self._leading = False
        self._expires_at: datetime | None = None  # of the lease we hold

    @property
    def leading(self) -> bool:
        return self._leading

    @property
    def _interval(self) -> float:
        return self.lease.total_seconds() / 3

    async def run(self, stop: asyncio.Event) -> None:
        """Take part in the election until ``stop`` is set; release the lease on the way out."""
        try:
            while not stop.is_set():
                state = await self._acquire()
                if state is not None and state.held:
                    self._expires_at = state.expires_at
                    await self._lead(stop, self._handover_wait(state))
                    continue
                if state is not None:
                    self.refused += 1
                await _wait(stop, self._until_free(state))
        finally:
            await self._release()

    # one term

    async def _lead(self, stop: asyncio.Event, pause: float) -> None:
        self._set_leading(True)
        self.terms += 1
        log.info("outbox sender: leading as %s", self.holder)
        sending = asyncio.Event()
        stopper = asyncio.create_task(stop.wait())
        task: asyncio.Task[None] | None = None
        try:
            if pause > 0 and await _wait(stop, pause):
                return
            task = asyncio.create_task(self.sender.run(sending), name="opsbot-outbox-sender")
            while True:
                done, _ = await asyncio.wait(
                    {task, stopper}, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED
                )
                if stopper in done:
                    return
                if task in done:
                    task.result()  # the sender gave up (token rejected): raise it
                    return
                if not await self._renew():
                    return
        finally:
            sending.set()  # no new call from here; calls in flight finish and are recorded
            stopper.cancel()
            if task is not None:
                try:
                    await asyncio.shield(task)
                except asyncio.CancelledError:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    raise
                except Exception:
                    log.exception("outbox sender failed")
            self._set_leading(False)

    async def _renew(self) -> bool:
        """True if we still hold the lease; False (stop sending) if it was lost or the database
        did not confirm it while the lease still ran (with a sixth of it to spare)."""
        budget = self.lease.total_seconds() / 3
        if self._expires_at is not None:
            left = (self._expires_at - self.clock.now()).total_seconds()
            budget = left - self.lease.total_seconds() / 6
        try:
            async with asyncio.timeout(max(budget, 0.0)):
                state = await self._acquire(raise_errors=True)
        except Exception as exc:
            log.warning("outbox sender: lease not renewed (%s); stop sending", type(exc).__name__)
            return False
        if state is None or not state.held:
            holder = state.holder if state is not None else None
            log.warning("outbox sender: lease lost to %s; stop sending", holder)
            return False
        self._expires_at = state.expires_at
        return True

    # the lease table

    async def _acquire(self, *, raise_errors: bool = False) -> leases.LeaseState | None:
        try:
            async with self.session_factory() as session, session.begin():
                return await leases.acquire(
                    session, LEASE_NAME, self.holder, self.clock.now(), self.lease
                )
        except Exception:
            if raise_errors:
                raise
            log.warning("outbox sender: lease check failed; trying again", exc_info=True)
            return None

    async def _release(self) -> None:
        try:
            async with self.session_factory() as session, session.begin():
                if await leases.release(session, LEASE_NAME, self.holder, self.clock.now()):
                    log.info("outbox sender: lease released by %s", self.holder)
        except Exception:  # it ends by itself when it expires
            log.warning("outbox sender: lease not released", exc_info=True)

    def _handover_wait(self, state: leases.LeaseState) -> float:
        """Seconds before the first call of a term taken over from another holder."""
        if state.previous_until is None:
            return 0.0
        since = (self.clock.now() - state.previous_until).total_seconds()
        return max(self.handover_pause - max(since, 0.0), 0.0)

    def _until_free(self, state: leases.LeaseState | None) -> float:
        """Seconds to wait before trying again: until the holder's lease ends, at most a third
        of the lease (the holder may release it early, or its renewal may fail)."""
        if state is None or state.expires_at is None:
            return self._interval
        left = (state.expires_at - self.clock.now()).total_seconds()
        return min(max(left, 0.0) + 0.01, self._interval)

    def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        if self.metrics is not None:
            self.metrics.sender_leader.set(1 if leading else 0)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop``; True if stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))
    return stop.is_set()
