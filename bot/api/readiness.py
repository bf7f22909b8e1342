"""Whether this process should receive traffic: /readyz answers from here.

Ready means the database answers, its schema is at the revision this code ships, and the
process is not shutting down (then the proxy stops sending it new requests and it drains).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.services import ops

log = logging.getLogger(__name__)


class Readiness:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        metrics: Metrics | None = None,
    ) -> None:
        self.session_factory = session_factory
        # The process's metrics (served on /metrics); a fresh registry when none is given.
        self.metrics = metrics or Metrics()
        self._shutting_down = False
        # A schema once at head stays there while this code runs (migrations only move it
        # forward, to a head this process does not know): check it until it is true, then no more.
        self._schema_ok = False

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def begin_shutdown(self) -> None:
        if not self._shutting_down:
            log.info("readiness: shutting down, /readyz answers 503 from now on")
        self._shutting_down = True

    async def check(self) -> tuple[bool, str]:
        if self._shutting_down:
            return False, "shutting down"
        try:
            async with self.session_factory() as session:
                reason = await ops.database_state(session, check_schema=not self._schema_ok)
        except Exception as exc:  # any failure to reach the database means "not ready"
            log.warning("readiness: database check failed: %s", type(exc).__name__)
            return False, f"database unreachable: {type(exc).__name__}"
        if reason is not None:
            return False, reason
        self._schema_ok = True
        return True, "ok"

    async def refresh_metrics(self) -> None:
        """Read what /metrics reports from the database (the outbox depth), once per scrape."""
        async with self.session_factory() as session:
            self.metrics.set_outbox_depth(await ops.outbox_depth(session))
