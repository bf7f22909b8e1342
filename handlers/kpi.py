"""/kpi, /me and /dept: one chart photo with a short caption and buttons.

Every view is resolved against the member's scope on arrival, for commands and buttons alike:
what is out of scope is "not found". The chart is drawn off the event loop; if drawing fails
the caption still goes out as a text message with the same buttons.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import run as charts
from bot.clock import Clock
from bot.domain.periods import Period, month_period, parse_period, week_period
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import OVERSEERS, REPORTERS, Role
from bot.services import kpi as service
from bot.services.scope import Scope, StoreCatalog, scope_of
from bot.views import kpi as views
from bot.views.kpi import KpiCallback
from handlers.filters import HasRole
from storage.models import Department, Member

log = logging.getLogger(__name__)

_MONTH_LIKE = re.compile(r"^\d{4}-\d{1,2}$")
_ALL_WORDS = {"all", "tat ca", "tất cả", "*"}
MAX_PICK_STORES = 8
MAX_PICK_BUTTONS = 24


@dataclass(frozen=True)
class Ask:
    """What the member asked for, in the words of the command."""

    text: str
    period: Period
    code: str  # the period as a button code: "w", "m" or "YYYY-MM"


@dataclass(frozen=True)
class Context:
    """Everything a view needs, gathered once per update."""

    session: AsyncSession
    member: Member
    scope: Scope
    org: OrgConfig
    today: date
    t: Translator
    bot: Bot
    chat_id: int


def _period_of(code: str, today: date) -> Period | None:
    if code == "w":
        return week_period(today)
    if code == "m":
        return month_period(today.year, today.month)
    return parse_period(code, today)


def _code_of(period: Period, today: date) -> str:
    if period.kind == "week":
        return "w"
    return "m" if period.start == month_period(today.year, today.month).start else period.label


def read_args(args: str | None, today: date) -> Ask | str:
    """Split "<subject> [period]"; a string is the text of a period that could not be read."""
    words = (args or "").split()
    period = month_period(today.year, today.month)
    if words:
        last = words[-1]
        parsed = parse_period(last, today) if len(words) > 1 or _is_period_word(last) else None
        if parsed is not None:
            period, words = parsed, words[:-1]
        elif _MONTH_LIKE.match(last):
            return last
    return Ask(" ".join(words), period, _code_of(period, today))


def _is_period_word(word: str) -> bool:
    return word.lower() in ("week", "month", "tuan", "tuần", "thang", "tháng") or bool(
        _MONTH_LIKE.match(word)
    )


async def _context(
    event: Message | CallbackQuery,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    stores_catalog: StoreCatalog | None,
) -> Context:
    scope = await scope_of(session, member, stores_catalog)
    chat_id = event.chat.id if isinstance(event, Message) else event.from_user.id
    assert event.bot is not None
    return Context(
        session, member, scope, org, service.as_of(org, clock.now()), t, event.bot, chat_id
    )


def _example(ctx: Context) -> str:
    return ctx.scope.stores[0].code if ctx.scope.stores else "HS-SHOPEE"


def _last_month(ctx: Context) -> str:
    first = month_period(ctx.today.year, ctx.today.month).start
    previous = month_period(first.year, first.month - 1) if first.month > 1 else None
    return previous.label if previous else f"{first.year - 1}-12"


async def _say(ctx: Context, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await ctx.bot.send_message(ctx.chat_id, text, reply_markup=markup)


async def _send_chart(
    ctx: Context, kind: str, data: Any, caption: str, markup: InlineKeyboardMarkup
) -> None:
    """The chart with its caption, or the caption alone if drawing fails."""
    try:
        png = await charts.render(kind, data)
    except Exception:
        log.exception("chart rendering failed kind=%s member_id=%s", kind, ctx.member.id)
        text = caption + "\n\n" + ctx.t("kpi.chart_unavailable")
        await _say(ctx, text if len(text) <= 4096 else caption, markup)
        return
    photo = BufferedInputFile(png, filename=f"kpi-{kind}.png")
    await ctx.bot.send_photo(ctx.chat_id, photo, caption=caption, reply_markup=markup)


# --- /kpi ------------------------------------------------------------------------------------


async def kpi_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    stores_catalog: StoreCatalog | None = None,
) -> None:
    ctx = await _context(message, session, member, org, clock, t, stores_catalog)
    ask = read_args(command.args, ctx.today)
    if isinstance(ask, str):
        await _say(
            ctx, t("kpi.bad_period", text=ask, example=_example(ctx), month=_last_month(ctx))
        )
        return
    if not ctx.scope.stores:
        await _say(ctx, t("kpi.nothing_visible"))
        return
    if not ask.text:
        await _say(ctx, t("kpi.pick"), views.choice_keyboard(_pick_choices(ctx), ask.code))
        return
    if ask.text.lower() in _ALL_WORDS:
        await show_target(ctx, service.all_target(ctx.scope, t("kpi.all")), ask.period, ask.code)
        return
    matches = service.find_targets(ctx.scope, ask.text)
    if not matches:
        await _say(ctx, t("kpi.not_found", query=_quote(ask.text), example=_example(ctx)))
        return
    if len(matches) > 1:
        choices = [
            (f"{m.candidate.code} · {m.candidate.name}"[:60], m.candidate.kind[0], m.candidate.id)
            for m in matches[:MAX_PICK_BUTTONS]
        ]
        await _say(
            ctx, t("kpi.many", query=_quote(ask.text)), views.choice_keyboard(choices, ask.code)
        )
        return
    found = matches[0].candidate
    target = (
        service.store_target(ctx.scope, found.id)
        if found.kind == "store"
        else service.brand_target(ctx.scope, found.id)
    )
    await show_target(ctx, target, ask.period, ask.code)


def _quote(text: str) -> str:
    return escape(text[:60])


def _pick_choices(ctx: Context) -> list[tuple[str, str, int]]:
    choices: list[tuple[str, str, int]] = [(ctx.t("kpi.button.all"), "a", 0)]
    brands = service.visible_brands(ctx.scope)
    choices += [(f"🏷 {brand.code} · {brand.name}"[:60], "b", brand.id) for brand, _ in brands]
    if len(ctx.scope.stores) <= MAX_PICK_STORES:
        choices += [(f"🏪 {s.code}", "s", s.id) for s in ctx.scope.stores]
    return choices[:MAX_PICK_BUTTONS]


async def show_target(
    ctx: Context, target: service.Target | None, period: Period, code: str
) -> None:
    """The view of a store, brand or everything, or why there is none."""
    if target is None:
        await _say(ctx, ctx.t("kpi.stale"))
        return
    example = target.code if target.kind in ("store", "brand", "all") else _example(ctx)
    if period.start > ctx.today:
        await _say(ctx, _future_text(ctx, period, example))
        return
    with_heatmap = target.kind != "store"
    view = await service.store_set_kpi(
        ctx.session, ctx.org, target, period, ctx.today, with_heatmap=with_heatmap
    )
    if not view.report.has_data:
        await _say(ctx, _empty_text(ctx, target.name, period, example))
        return
    title = target.name if target.kind != "store" else f"{target.code} · {target.name}"
    caption = views.store_set_caption(view, ctx.org, ctx.t)
    markup = views.view_keyboard(target, code, ctx.t, _drill(ctx, target))
    if target.kind == "store":
        await _send_chart(
            ctx, "store", views.store_chart(view, ctx.org, ctx.t, title), caption, markup
        )
    else:
        data = views.overview_chart(view, ctx.org, ctx.t, title)
        await _send_chart(ctx, "overview", data, caption, markup)


def _drill(ctx: Context, target: service.Target) -> list[tuple[str, str, int]]:
    if target.kind in ("brand", "dept"):
        return [(f"🏪 {s.code}", "s", s.id) for s in target.stores]
    if target.kind == "all":
        return [(f"🏷 {b.code}", "b", b.id) for b, _ in service.visible_brands(ctx.scope)]
    return []


def _future_text(ctx: Context, period: Period, example: str | None = None) -> str:
    return ctx.t(
        "kpi.future",
        period=views.period_text(period, ctx.t),
        example=example or _example(ctx),
        month=month_period(ctx.today.year, ctx.today.month).label,
    )


def _empty_text(ctx: Context, name: str, period: Period, example: str | None = None) -> str:
    return ctx.t(
        "kpi.empty",
        name=_quote(name),
        period=views.period_text(period, ctx.t),
        example=example or _example(ctx),
        month=_last_month(ctx),
    )


# --- /me -------------------------------------------------------------------------------------


async def me_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    stores_catalog: StoreCatalog | None = None,
) -> None:
    ctx = await _context(message, session, member, org, clock, t, stores_catalog)
    ask = read_args(command.args, ctx.today)
    if isinstance(ask, str) or ask.text:
        await _say(ctx, t("kpi.me.usage"))
        return
    await show_me(ctx, ask.period, ask.code)


async def show_me(ctx: Context, period: Period, code: str) -> None:
    if period.start > ctx.today:
        await _say(ctx, _future_text(ctx, period))
        return
    name = ctx.member.full_name
    view = await service.me_kpi(
        ctx.session, ctx.org, ctx.member, ctx.scope, period, ctx.today, name
    )
    if view is None:
        await _say(ctx, ctx.t("kpi.me.no_form"))
        return
    caption = views.me_caption(view, ctx.org, ctx.t, period)
    data = views.me_chart(view, ctx.org, ctx.t, period)
    await _send_chart(ctx, "me", data, caption, views.me_keyboard(code, ctx.t))


# --- /dept -----------------------------------------------------------------------------------


async def dept_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    stores_catalog: StoreCatalog | None = None,
) -> None:
    ctx = await _context(message, session, member, org, clock, t, stores_catalog)
    ask = read_args(command.args, ctx.today)
    departments = await service.visible_departments(session, ctx.scope)
    example = departments[0].code if departments else "growth"
    if isinstance(ask, str):
        await _say(ctx, t("kpi.dept.usage", example=example))
        return
    if not ask.text:
        if Role(member.role) is Role.MANAGER and member.department_id is not None:
            await show_department(ctx, member.department_id, ask.period, ask.code)
            return
        choices = [(_department_label(d, t), "d", d.id) for d in departments]
        await _say(ctx, t("kpi.dept.pick"), views.choice_keyboard(choices, ask.code))
        return
    matches = service.find_department(departments, ask.text)
    if len(matches) != 1:
        if matches:
            choices = [(m.candidate.name, "d", m.candidate.id) for m in matches]
            await _say(ctx, t("kpi.dept.pick"), views.choice_keyboard(choices, ask.code))
            return
        await _say(ctx, t("kpi.dept.not_found", query=_quote(ask.text), example=example))
        return
    await show_department(ctx, matches[0].candidate.id, ask.period, ask.code)


def _department_label(department: Department, t: Translator) -> str:
    return department.name_en if t.locale == "en" else department.name_vi


async def show_department(ctx: Context, department_id: int, period: Period, code: str) -> None:
    found = await service.department_target(ctx.session, ctx.scope, department_id)
    if found is None:
        await _say(ctx, ctx.t("kpi.stale"))
        return
    department, target = found
    name = _department_label(department, ctx.t)
    target = service.Target("dept", target.id, target.code, name, target.stores)
    form = ctx.org.form_for_department(department.code)
    if form is not None and form.per == "store":
        await show_target(ctx, target, period, code)
        return
    if period.start > ctx.today:
        await _say(ctx, _future_text(ctx, period))
        return
    people = await service.department_people(ctx.session, ctx.scope, department.id)
    if not people:
        await _say(ctx, ctx.t("kpi.dept.no_people", name=_quote(name)))
        return
    view = await service.people_kpi(ctx.session, ctx.org, department, people, period, ctx.today)
    if not any(p.reported for p in view.people):
        await _say(ctx, _empty_text(ctx, name, period))
        return
    caption = views.people_caption(view, ctx.org, ctx.t, name)
    data = views.people_chart(view, ctx.org, ctx.t, name)
    markup = views.view_keyboard(target, code, ctx.t)
    await _send_chart(ctx, "people", data, caption, markup)


# --- buttons ---------------------------------------------------------------------------------


async def kpi_pressed(
    query: CallbackQuery,
    callback_data: KpiCallback,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    stores_catalog: StoreCatalog | None = None,
) -> None:
    """Re-resolve the button's subject against the presser's scope now, then show it."""
    ctx = await _context(query, session, member, org, clock, t, stores_catalog)
    period = _period_of(callback_data.p, ctx.today)
    role = Role(member.role)
    view = callback_data.v
    allowed = {
        "s": True,
        "b": True,
        "a": True,
        "d": role in OVERSEERS,
        "m": role in REPORTERS,
    }.get(view, False)
    if period is None or not allowed:
        await query.answer(t("kpi.stale"), show_alert=True)
        return
    if view == "m":
        await query.answer()
        await show_me(ctx, period, callback_data.p)
        return
    if view == "d":
        found = await service.department_target(ctx.session, ctx.scope, callback_data.i)
        if found is None:
            await query.answer(t("kpi.stale"), show_alert=True)
            return
        await query.answer()
        await show_department(ctx, callback_data.i, period, callback_data.p)
        return
    target = _target_of(ctx, view, callback_data.i)
    if target is None:
        log.info("kpi button refused member_id=%s view=%s id=%s", member.id, view, callback_data.i)
        await query.answer(t("kpi.stale"), show_alert=True)
        return
    await query.answer()
    await show_target(ctx, target, period, callback_data.p)


def _target_of(ctx: Context, view: str, target_id: int) -> service.Target | None:
    if view == "s":
        return service.store_target(ctx.scope, target_id)
    if view == "b":
        return service.brand_target(ctx.scope, target_id)
    if view == "a" and target_id == 0:
        return service.all_target(ctx.scope, ctx.t("kpi.all"))
    return None


def create_router() -> Router:
    router = Router(name="kpi")
    router.message.filter(F.chat.type == "private", HasRole(*Role))
    router.callback_query.filter(HasRole(*Role))
    router.message.register(kpi_command, Command("kpi"), StateFilter("*"))
    router.message.register(me_command, Command("me"), StateFilter("*"), HasRole(*REPORTERS))
    router.message.register(dept_command, Command("dept"), StateFilter("*"), HasRole(*OVERSEERS))
    router.callback_query.register(kpi_pressed, KpiCallback.filter())
    return router
