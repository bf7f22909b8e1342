"""Stale messages are not sent late: after an outage they are marked ``expired`` and named in
one "while the bot was offline" message per chat.

Each kind of message has a lifetime (``bot.domain.outbox.LIFETIMES``: a reminder until its
deadline is past by more than the grace window, an escalation until the end of its day, ...);
the row's ``expires_at`` holds it. ``sweep_stale`` runs at the start of every drain: in one
transaction it marks the stale rows ``expired`` (kept for audit, never deleted) and queues, per
chat, one summary listing them (the ``note`` the row was queued with, or its kind), in the
chat's language and in the same forum topic. Kinds not worth a word (a nudge the reminder
replaces) are only marked. The summary has its own dedupe key, so nothing is said twice.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.payloads import THREAD, message_payload
from bot.domain.outbox import Priority, lifetime_of
from bot.i18n import DEFAULT_LOCALE, Translator
from storage.models import OutboxMessage
from storage.repositories import outbox
from storage.repositories.members import get_member_by_telegram_id

log = logging.getLogger(__name__)

SWEEP_CHUNK = 500
SUMMARY_KIND = "missed"
# Kinds with a line of their own in the summary when a row carries no note.
_KIND_LABELS = frozenset(
    {"reminder", "escalation", "alert", "digest", "order_summary", "day_off", "unreachable"}
)


def kind_label(kind: str, t: Translator) -> str:
    if kind in _KIND_LABELS:
        return t(f"delivery.missed.kind.{kind}")
    if kind.startswith("order"):
        return t("delivery.missed.kind.order")
    return t("delivery.missed.kind.other")


def summary_text(rows: Sequence[OutboxMessage], t: Translator) -> str:
    """The summary of stale rows to one chat, oldest first; equal lines are counted once."""
    lines: Counter[str] = Counter()
    for row in rows:
        note = row.payload.get("note")
        lines[note if isinstance(note, str) and note else kind_label(row.kind, t)] += 1
    items = [
        t("delivery.missed.line", line=line)
        if count == 1
        else t("delivery.missed.line_many", line=line, count=count)
        for line, count in lines.items()
    ]
    return "\n".join([t("delivery.missed.title"), *items, "", t("delivery.missed.footer")])


async def _locale(session: AsyncSession, chat_id: int, rows: Sequence[OutboxMessage]) -> str:
    for row in rows:
        locale = row.payload.get("locale")
        if isinstance(locale, str) and locale:
            return locale
    member = await get_member_by_telegram_id(session, chat_id) if chat_id > 0 else None
    return member.locale if member is not None else DEFAULT_LOCALE


async def _queue_summary(
    session: AsyncSession, chat_id: int, rows: Sequence[OutboxMessage], now: datetime
) -> bool:
    t = Translator(await _locale(session, chat_id, rows))
    thread = next((r.payload[THREAD] for r in rows if r.payload.get(THREAD) is not None), None)
    return await outbox.enqueue(
        session,
        dedupe_key=f"{SUMMARY_KIND}:{chat_id}:{rows[0].id}",
        chat_id=chat_id,
        kind=SUMMARY_KIND,
        payload=message_payload(summary_text(rows, t), thread_id=thread),
        priority=Priority.NOTICE,
        now=now,
    )


async def sweep_stale(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Mark every stale pending row ``expired`` and queue the summaries; rows expired."""
    expired = 0
    while True:
        async with session_factory() as session, session.begin():
            rows = await outbox.expire(session, now, SWEEP_CHUNK)
            by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
            for row in rows:
                if lifetime_of(row.kind).summarised:
                    by_chat[row.chat_id].append(row)
            summaries = 0
            for chat_id, mine in by_chat.items():
                summaries += await _queue_summary(session, chat_id, mine, now)
        expired += len(rows)
        if rows:
            log.warning(
                "outbox: %s stale message(s) expired unsent; %s offline summary(ies) queued",
                len(rows),
                summaries,
            )
        if len(rows) < SWEEP_CHUNK:
            return expired
