"""Daily, weekly and monthly digests to the board: one photo with its caption, plus the .xlsx.

Daily (after the escalation): coverage of yesterday's reports, the month-to-date attainment
chart, the leading and lagging stores, the open alerts. Weekly (last week) and monthly (last
month): the period's attainment chart and the month's workbook from the export builder. Each
digest also carries the brand × channel table (GMV, attainment, ROAS) as an image when there is
more than one brand or channel; long lists are summarised to fit Telegram's limits. The board's
group chat receives it, or every bod member when the org file names no chat.

The ranking reuses the /kpi views (``bot.views.kpi``) so the digest reads like /kpi.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts.data import AttainmentOverview, RankedItem
from bot.charts.run import render
from bot.delivery.payloads import document_payload, message_payload, photo_payload, with_note
from bot.domain.kpi_results import StoreSetKpi
from bot.domain.months import YearMonth
from bot.domain.outbox import Priority
from bot.domain.periods import Period, month_period, week_period
from bot.domain.punctuality import DueRule
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services.channels import brand_channel_cells
from bot.services.export import build_export
from bot.services.export_request import ExportRequest
from bot.services.kpi import all_target, store_set_kpi
from bot.services.recognition import praise_of
from bot.services.reminders import check_day
from bot.services.scope import Scope
from bot.views import alerts as texts
from bot.views import channels as channel_views
from bot.views import kpi as kpi_views
from bot.views.recognition import praise_line
from bot.views.safe import user_text
from storage.models import AlertState, Store
from storage.repositories import alerts as alert_repo
from storage.repositories import catalog, outbox
from storage.repositories import members as members_repo

log = logging.getLogger(__name__)
RANKED = 3  # stores named at the top and at the bottom
ALERT_WINDOW = timedelta(days=31)  # open alerts older than this are left to /kpi


@dataclass(frozen=True)
class Audience:
    chat_id: int
    locale: str
    topic: int | None = None  # the forum topic of the board's group


async def audience(session: AsyncSession, org: OrgConfig) -> list[Audience]:
    if org.chats.bod is not None:
        return [Audience(org.chats.bod, org.default_locale, org.chats.bod_topic)]
    members = await alert_repo.members_with_roles(session, [Role.BOD.value])
    return [Audience(m.telegram_id, m.locale) for m in members if m.reachable]


def _everything(stores: Sequence[Store]) -> Scope:
    return Scope(Role.BOD, True, tuple(stores), frozenset(), frozenset())


def _ranked_line(items: Sequence[RankedItem], key: str, t: Translator) -> str | None:
    if not items:
        return None
    shown = ", ".join(f"{user_text(i.label)} {kpi_views.percent(i.attainment)}" for i in items)
    return t(key, items=shown)


def _ranking(items: Sequence[RankedItem], t: Translator) -> list[str]:
    ranked = sorted(
        (i for i in items if i.attainment is not None), key=lambda i: -(i.attainment or 0)
    )
    if not ranked:
        return [t("alert.digest.no_ranking")]
    top = ranked[:RANKED]
    bottom = [i for i in reversed(ranked[-RANKED:]) if i not in top]
    return [
        line
        for line in (
            _ranked_line(top, "alert.digest.top", t),
            _ranked_line(bottom, "alert.digest.bottom", t),
        )
        if line
    ]


def _alert_lines(
    org: OrgConfig, alerts: Sequence[AlertState], stores: dict[int, Store], t: Translator
) -> tuple[str, list[str]]:
    if not alerts:
        return t("alert.digest.no_alerts"), []
    per_subject: dict[str, list[AlertState]] = {}
    for state in texts.by_severity(alerts):
        per_subject.setdefault(state.subject_key, []).append(state)
    lines = []
    for key, states in per_subject.items():
        store = stores.get(states[0].store_id or 0)
        rules = ", ".join(
            dict.fromkeys(
                texts.metric_label(org, (s.detail or {}).get("metric"), t) or s.rule_id
                for s in states
            )
        )
        icon = texts.SEVERITY_ICONS.get(states[0].severity, "•")
        if store is not None:
            code = store.code
        else:  # a campaign's alerts name the campaign
            code = user_text(key.removeprefix("campaign:")) if key.startswith("campaign:") else "?"
        if all(s.state == "acknowledged" for s in states):
            rules += " 👌"  # someone is on it
        lines.append(t("alert.digest.alert_line", icon=icon, store=code, rules=rules))
    return t("alert.digest.alerts", count=len(alerts)), lines


async def _coverage_lines(
    session: AsyncSession, org: OrgConfig, day: date, at: datetime, t: Translator
) -> list[str]:
    check = await check_day(session, org, day, at=at)
    if not check.working:
        return [t("alert.digest.not_working")]
    total = None
    lines = []
    for item in check.coverage:
        total = item.coverage if total is None else total + item.coverage
        lines.append(
            t(
                "alert.digest.coverage_line",
                department=user_text(item.name(t.locale)),
                reported=item.coverage.reported,
                expected=item.coverage.expected,
            )
        )
    if total is None:
        return []
    head = t(
        "alert.digest.coverage",
        reported=total.reported,
        expected=total.expected,
        percent=total.percent,
    )
    return [head, *lines]


async def _chart(
    session: AsyncSession,
    org: OrgConfig,
    stores: Sequence[Store],
    period: Period,
    as_of: date,
    at: datetime,
    t: Translator,
) -> tuple[bytes | None, list[RankedItem], StoreSetKpi | None]:
    target = all_target(_everything(stores), org.name or "all")
    if target is None:
        return None, [], None
    view = await store_set_kpi(session, org, target, period, as_of, now=at)
    items = list(kpi_views.ranked_stores(view, org, t))
    metric = org.metric(view.primary)
    overview = AttainmentOverview(
        title=t(
            "alert.digest.chart_title",
            metric=metric.label.get(t.locale) if metric else view.primary,
        ),
        subtitle=f"{texts.day_text(period.start)} – {texts.day_text(min(period.end, as_of))}",
        items=tuple(items),
        locale=t.locale,
        labels=kpi_views.labels(t),
    )
    try:
        return await render("attainment", overview), items, view
    except Exception:
        log.exception("digest chart failed; the text goes alone")
        return None, items, view


async def _channel_table(
    org: OrgConfig, view: StoreSetKpi | None, stores: Sequence[Store], subtitle: str, t: Translator
) -> bytes | None:
    """The brand × channel table (GMV, attainment to date, ROAS) as an image; None when there
    is nothing to compare (fewer than two brand × channel pairs with sales) or drawing fails."""
    if view is None:
        return None
    cells = brand_channel_cells(org, view, stores)
    if sum(c.gmv is not None for c in cells) < 2:
        return None
    table = channel_views.channel_table(cells, org, view.primary, subtitle, t)
    try:
        return await render("channel_table", table)
    except Exception:
        log.exception("digest channel table failed; the digest goes without it")
        return None


async def _queue(
    session: AsyncSession,
    key: str,
    person: Audience,
    png: bytes | None,
    text: str,
    document: tuple[bytes, str, str] | None,
    now: datetime,
    note: str,
) -> int:
    # Nothing is cut: a caption over 1024 characters goes out shortened with the rest in
    # follow-up messages, a text over 4096 as several messages (the sender splits both).
    chat_id, thread = person.chat_id, person.topic
    if png is not None:
        first: dict[str, Any] = photo_payload(png, text, filename="digest.png", thread_id=thread)
    else:
        first = message_payload(text, thread_id=thread)
    queued = int(
        await outbox.enqueue(
            session, dedupe_key=f"{key}:{chat_id}:1", chat_id=chat_id, kind="digest",
            payload=with_note(first, note, person.locale), priority=Priority.DIGEST, now=now,
        )
    )  # fmt: skip
    if document is not None:
        data, name, caption = document
        queued += await outbox.enqueue(
            session, dedupe_key=f"{key}:{chat_id}:2", chat_id=chat_id, kind="digest",
            payload=document_payload(data, name, caption, thread_id=thread),
            priority=Priority.DIGEST, now=now,
        )  # fmt: skip
    return queued


async def _queue_table(
    session: AsyncSession, key: str, person: Audience, png: bytes, caption: str, now: datetime
) -> int:
    payload = photo_payload(png, caption, filename="channels.png", thread_id=person.topic)
    return int(
        await outbox.enqueue(
            session, dedupe_key=f"{key}:{person.chat_id}:3", chat_id=person.chat_id,
            kind="digest", payload=payload, priority=Priority.DIGEST, now=now,
        )
    )  # fmt: skip


async def _workbook(
    session: AsyncSession, org: OrgConfig, stores: Sequence[Store], day: date, t: Translator
) -> tuple[bytes, str, str] | None:
    month = YearMonth.of(day)
    try:
        export = await build_export(session, ExportRequest(org, _everything(stores), month, day, t))
    except Exception:
        log.exception("digest workbook failed for %s; the digest goes without it", month)
        return None
    if export is None:
        return None
    return export.content, export.file_name, t("alert.digest.file_caption", month=str(month))


async def _digest(
    session: AsyncSession,
    org: OrgConfig,
    kind: str,
    period_key: str,
    period: Period,
    as_of: date,
    at: datetime,
    *,
    attach: bool,
) -> str:
    stores = list(await catalog.list_stores(session))
    alerts = await alert_repo.active_since(session, at - ALERT_WINDOW)
    by_id = {s.id: s for s in stores}
    queued = 0
    people = await audience(session, org)
    members = list(await members_repo.list_members(session)) if kind == "daily" else []
    for person in people:
        t = Translator(person.locale)
        png, items, view = await _chart(session, org, stores, period, as_of, at, t)
        if kind == "daily":
            title = t("alert.digest.daily_title", day=texts.day_text(as_of))
            body = await _coverage_lines(session, org, as_of, at, t)
            # Stores praised by the pace the chart already measured; people by their targets.
            paces = [(i.label, i.attainment) for i in items]
            found = await praise_of(session, org, paces, members, period, as_of, at)
            body += [line] if (line := praise_line(found, org.recognition.pace_at_least, t)) else []
        elif kind == "weekly":
            title = t(
                "alert.digest.weekly_title",
                start=texts.day_text(period.start),
                end=texts.day_text(period.end),
            )
            body = []
        else:
            title = t(
                "alert.digest.monthly_title", month=f"{period.start.month:02d}/{period.start.year}"
            )
            body = []
        alerts_head, alert_lines = _alert_lines(org, alerts, by_id, t)
        text = "\n".join([title, *body, "", *_ranking(items, t), "", alerts_head, *alert_lines])
        document = await _workbook(session, org, stores, as_of, t) if attach else None
        queued += await _queue(
            session, f"digest:{kind}:{period_key}", person, png, text, document, at, title
        )
        subtitle = f"{texts.day_text(period.start)} – {texts.day_text(min(period.end, as_of))}"
        table = await _channel_table(org, view, stores, subtitle, t)
        if table is not None:
            caption = t("channel.table.caption", period=subtitle)
            queued += await _queue_table(session, f"digest:{kind}:{period_key}", person, table,
                                         caption, at)  # fmt: skip
    return f"{kind} digest {period.label}: {queued} message(s) to {len(people)} chat(s)"


async def daily_digest(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    # The latest day whose reports are due: a digest sent before the deadline is about the
    # day before, never about reports that may still come in on time.
    day = DueRule.of(org).last_due(at)
    month = month_period(day.year, day.month)
    return await _digest(session, org, "daily", period, month, day, at, attach=False)


async def weekly_digest(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    last_day = at.astimezone(org.tz).date() - timedelta(days=1)
    week = week_period(last_day)
    return await _digest(session, org, "weekly", period, week, last_day, at, attach=True)


async def monthly_digest(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    last_day = at.astimezone(org.tz).date().replace(day=1) - timedelta(days=1)
    month = month_period(last_day.year, last_day.month)
    return await _digest(session, org, "monthly", period, month, last_day, at, attach=True)
