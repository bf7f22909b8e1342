"""Deliver the outbox in a test: run the real sender once, without Telegram's rate limits.

Works whether or not the running bot also drains the outbox itself: whatever is still pending
is sent now, and tests read the messages from the sandbox users either way.
"""

from __future__ import annotations

from bot.delivery import DrainReport, OutboxSender, Rate, RateLimits
from support.bot_harness import BotUnderTest

UNLIMITED = RateLimits(
    overall=Rate(100_000, 1.0), private_chat=Rate(100_000, 1.0), group_chat=Rate(100_000, 1.0)
)


async def deliver_outbox(app: BotUnderTest) -> DrainReport:
    assert app.runtime is not None, "bot is not running"
    await app.settled()  # what the updates so far queued has committed
    sender = OutboxSender(app.runtime.bot, app.db.session_factory, app.clock, limits=UNLIMITED)
    return await sender.drain_once()
