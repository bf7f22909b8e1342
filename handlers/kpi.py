"""/kpi, /me and /dept: one chart photo with a short caption and buttons.

Every view is resolved against the member's scope on arrival, for commands and buttons alike:
what is out of scope is "not found". The chart is drawn off the event loop; if drawing fails
the caption still goes out as a text message with the same buttons.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.charts import run as charts
from bot.domain.campaigns import CampaignInfo
from bot.domain.channels import platform_of_id
from bot.domain.kpi_ask import Ask, period_of_code, read_args
from bot.domain.kpi_results import Target
from bot.domain.periods import Period
from bot.domain.records import DepartmentRow
from bot.domain.search import EXACT_NAME
from bot.roles import ALL_ROLES, OVERSEERS, REPORTERS, Role
from bot.services import campaigns as campaign_service
from bot.services import channels, person_kpi, service_kpi
from bot.services import kpi as service
from bot.services.scope import Scope, scope_of
from bot.views import campaigns as campaign_views
from bot.views import channels as channel_views
from bot.views import kpi as views
from bot.views import kpi_buttons as buttons
from bot.views import people as people_views
from bot.views import service_kpi as service_views
from bot.views.kpi_buttons import KpiCallback
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import HasRole

log = logging.getLogger(__name__)

# Which button views a role may press: everybody browses stores and brands, overseers open
# departments, reporters their own numbers.
BUTTON_VIEWS: dict[str, frozenset[Role]] = {
    "s": ALL_ROLES,
    "b": ALL_ROLES,
    "a": ALL_ROLES,
    "d": OVERSEERS,
    "m": REPORTERS,
    "c": ALL_ROLES,  # a campaign picked among several matches
    "p": ALL_ROLES,  # a channel's period buttons
}


@dataclass(frozen=True)
class Viewer:
    """The member asking, with their scope, the day the numbers run to and the instant that
    decides which reports are due, read once."""

    ctx: Ctx
    scope: Scope
    today: date
    chat_id: int
    now: datetime

    @property
    def example(self) -> str:
        return views.example_code(self.scope.stores)


async def _viewer(event: Message | CallbackQuery, ctx: Ctx) -> Viewer:
    scope = await scope_of(ctx.session, ctx.member, ctx.stores_catalog)
    # A button's chart goes to the presser's private chat, like the command's reply.
    chat_id = event.chat.id if isinstance(event, Message) else event.from_user.id
    now = ctx.now()
    return Viewer(ctx, scope, service.as_of(ctx.org, now), chat_id, now)


async def _say(viewer: Viewer, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await viewer.ctx.bot.send_message(viewer.chat_id, text, reply_markup=markup)


async def _send_chart(
    viewer: Viewer, kind: str, data: Any, caption: str, markup: InlineKeyboardMarkup | None
) -> None:
    """The chart with its caption, or the caption alone if drawing fails."""
    ctx = viewer.ctx
    try:
        png = await charts.render(kind, data)
    except Exception:
        log.exception("chart rendering failed kind=%s member_id=%s", kind, ctx.member.id)
        await _say(viewer, views.without_chart_text(caption, ctx.t), markup)
        return
    photo = BufferedInputFile(png, filename=f"kpi-{kind}.png")
    await ctx.bot.send_photo(viewer.chat_id, photo, caption=caption, reply_markup=markup)


async def _say_future(viewer: Viewer, period: Period, example: str | None = None) -> None:
    t = viewer.ctx.t
    await _say(viewer, views.future_text(period, example or viewer.example, viewer.today, t))


async def _say_empty(viewer: Viewer, name: str, period: Period, example: str | None = None) -> None:
    text = views.empty_text(name, period, example or viewer.example, viewer.today, viewer.ctx.t)
    await _say(viewer, text)


# --- /kpi ------------------------------------------------------------------------------------


async def kpi_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    viewer = await _viewer(message, ctx)
    ask = read_args(command.args, viewer.today)
    if isinstance(ask, str):
        await _say(viewer, views.bad_period_text(ask, viewer.example, viewer.today, ctx.t))
        return
    if (dept_text := dept_words(ask.text)) is not None:
        await show_service_department(viewer, dept_text)
        return
    if not viewer.scope.stores:
        await _say(viewer, ctx.t("kpi.nothing_visible"))
        return
    if not ask.text:
        brands = service.brands_in_scope(viewer.scope)
        keyboard = buttons.pick_keyboard(brands, viewer.scope.stores, ask.code, ctx.t)
        await _say(viewer, ctx.t("kpi.pick"), keyboard)
        return
    if ask.wants_everything:
        target = service.all_target(viewer.scope, ctx.t("kpi.all"))
        await show_target(viewer, target, ask.period, ask.code)
        return
    await _find_and_show(viewer, ask)


async def _find_and_show(viewer: Viewer, ask: Ask) -> None:
    """The one store or brand the text names, else the channel (platform) or the campaign it
    names, else a store or brand within a typo, the candidates to pick from, or not found."""
    t = viewer.ctx.t
    matches = service.find_targets(viewer.scope, ask.text, typos=False)
    exact = any(m.quality <= EXACT_NAME for m in matches)
    if not exact and await _show_channel(viewer, ask):
        return
    if not matches and await _campaign_branch(viewer, ask.text):
        return
    if not matches:  # typos last: hundreds of stores' names, the slow part of the search
        matches = service.find_targets(viewer.scope, ask.text)
    if not matches:
        await _say_not_found(viewer, ask)
        return
    if len(matches) > 1:
        keyboard = buttons.matches_keyboard(matches, ask.code)
        await _say(viewer, t("kpi.many", query=views.quote(ask.text)), keyboard)
        return
    found = matches[0].candidate
    target = (
        service.store_target(viewer.scope, found.id)
        if found.kind == "store"
        else service.brand_target(viewer.scope, found.id)
    )
    await show_target(viewer, target, ask.period, ask.code)


async def _show_channel(viewer: Viewer, ask: Ask) -> bool:
    """A platform word (``shopee``, ``tiktok``, ``pos``) names the platform's stores in the
    member's scope; when none of them is theirs the answer is the one for an unknown name.
    False when the text names no platform of the org."""
    platform = channels.find_channel(viewer.ctx.org, ask.text)
    if platform is None:
        return False
    name = channel_views.channel_title(platform, viewer.ctx.t)
    target = channels.channel_target(viewer.scope, platform, name)
    if target is None:
        await _say_not_found(viewer, ask)
    else:
        await show_target(viewer, target, ask.period, ask.code)
    return True


async def _say_not_found(viewer: Viewer, ask: Ask) -> None:
    t = viewer.ctx.t
    await _say(viewer, t("kpi.not_found", query=views.quote(ask.text), example=viewer.example))


async def show_target(
    viewer: Viewer, target: Target | None, period: Period, code: str, extra: tuple[str, ...] = ()
) -> None:
    """The view of a store, brand or everything, or why there is none; ``extra`` lines end
    the caption (a department's personal targets)."""
    ctx = viewer.ctx
    if target is None:
        await _say(viewer, ctx.t("kpi.stale"))
        return
    example = target.code if target.kind in ("store", "brand", "all", "channel") else viewer.example
    if period.start > viewer.today:
        await _say_future(viewer, period, example)
        return
    heatmap = target.kind != "store"
    view = await service.store_set_kpi(
        ctx.session, ctx.org, target, period, viewer.today, now=viewer.now, with_heatmap=heatmap
    )
    if not view.report.has_data:
        await _say_empty(viewer, target.name, period, example)
        return
    title = target.name if target.kind != "store" else f"{target.code} · {target.name}"
    economics: list[str] = []
    if target.kind == "channel":
        found = channels.view_economics(ctx.org, view)
        economics = list(channel_views.economics_lines(found, ctx.org, ctx.t))
    caption = views.store_set_caption(view, ctx.org, ctx.t, economics)
    if extra:
        caption = views.fit([caption, "", *extra])
    brands = service.brands_in_scope(viewer.scope)
    markup = buttons.target_keyboard(target, code, ctx.t, brands)
    if target.kind == "store":
        chart = views.store_chart(view, ctx.org, ctx.t, title)
        await _send_chart(viewer, "store", chart, caption, markup)
    else:
        overview = views.overview_chart(view, ctx.org, ctx.t, title)
        await _send_chart(viewer, "overview", overview, caption, markup)


# --- /kpi dept <code>: a department that receives order requests ------------------------------

DEPT_WORDS = ("dept", "phòng")  # not "phong": brands and stores may start with it


def dept_words(text: str) -> str | None:
    """``media`` of "dept media"; None when the text does not start with a department word."""
    first, _, rest = text.partition(" ")
    return rest.strip() if first.lower() in DEPT_WORDS else None


async def show_service_department(viewer: Viewer, text: str) -> None:
    """Its requests' KPIs over the org's window (the period words do not apply); refused
    like an unknown code when it is not in the member's scope."""
    ctx = viewer.ctx
    department = await service_kpi.find_service_department(ctx.session, ctx.org, viewer.scope, text)
    if department is None:
        codes = sorted(service_kpi.receiving_codes(ctx.org))
        example = codes[0] if codes else "media"
        await _say(viewer, ctx.t("service.not_found", query=views.quote(text), example=example))
        return
    found = await service_kpi.department_service_kpi(ctx.session, ctx.org, department, viewer.now)
    days, threshold = ctx.org.service_kpi.window_days, ctx.org.service_kpi.on_time_alert_below
    caption = service_views.service_caption(found.kpi, department, found.names, ctx.t, days=days)
    chart = service_views.service_chart(
        found.kpi, department, found.names, ctx.t, days=days, threshold=threshold
    )
    await _send_chart(viewer, "service", chart, caption, None)


async def _people_targets(
    viewer: Viewer, department: DepartmentRow, period: Period
) -> tuple[str, ...]:
    """Lines of the department's people who own stores and have a personal target."""
    ctx = viewer.ctx
    people = await service.department_people(ctx.session, viewer.scope, department.id)
    found = await person_kpi.personal_kpis(
        ctx.session, ctx.org, people, period, viewer.today, now=viewer.now
    )
    names = {p.id: p.full_name for p in people}
    return tuple(people_views.target_lines(found, names, ctx.org, ctx.t))


async def _service_section(viewer: Viewer, department: DepartmentRow) -> str:
    ctx = viewer.ctx
    found = await service_kpi.department_service_kpi(ctx.session, ctx.org, department, viewer.now)
    days = ctx.org.service_kpi.window_days
    return service_views.dept_section(found.kpi, department, ctx.t, days=days)


async def _campaign_branch(viewer: Viewer, text: str) -> bool:
    """A campaign the text names, among those the viewer sees (their part of it): shown, or
    the candidates to pick from; False when none, so the caller says "not found"."""
    ctx = viewer.ctx
    found = await campaign_service.find(ctx.session, viewer.scope, text)
    if not found:
        return False
    if len(found) > 1:
        keyboard = buttons.matches_keyboard([match for match, _ in found], "m")
        await _say(viewer, ctx.t("kpi.many", query=views.quote(text)), keyboard)
        return True
    await show_campaign(viewer, found[0][1])
    return True


async def show_campaign(viewer: Viewer, info: CampaignInfo) -> None:
    """One chart of the campaign over its own dates, for the viewer's part of it."""
    ctx = viewer.ctx
    if info.start > viewer.today:
        start = info.start.strftime("%d/%m")
        await _say(viewer, ctx.t("campaign.kpi.coming", name=user_text(info.name), start=start))
        return
    view = await campaign_service.campaign_view(ctx.session, info, viewer.scope, viewer.today)
    caption, chart = campaign_views.kpi_view(ctx.org, view, ctx.t)
    await _send_chart(viewer, "campaign", chart, caption, None)


# --- /me -------------------------------------------------------------------------------------


async def me_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    viewer = await _viewer(message, ctx)
    ask = read_args(command.args, viewer.today)
    if isinstance(ask, str) or ask.text:
        await _say(viewer, ctx.t("kpi.me.usage"))
        return
    await show_me(viewer, ask.period, ask.code)


async def show_me(viewer: Viewer, period: Period, code: str) -> None:
    ctx = viewer.ctx
    if period.start > viewer.today:
        await _say_future(viewer, period)
        return
    member = ctx.member
    view = await service.me_kpi(
        ctx.session, ctx.org, member, viewer.scope, period, viewer.today, member.full_name,
        now=viewer.now,
    )  # fmt: skip
    if view is None:
        await _say(viewer, ctx.t("kpi.me.no_form"))
        return
    view = await person_kpi.me_with_targets(
        ctx.session, ctx.org, view, member, period, viewer.today, now=viewer.now
    )
    caption = views.me_caption(view, ctx.org, ctx.t, period)
    caption = views.fit([caption, *people_views.me_target_lines(view, ctx.org, ctx.t)])
    data = views.me_chart(view, ctx.org, ctx.t, period)
    await _send_chart(viewer, "me", data, caption, buttons.me_keyboard(code, ctx.t))


# --- /dept -----------------------------------------------------------------------------------


async def dept_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    viewer = await _viewer(message, ctx)
    t, member = ctx.t, ctx.member
    ask = read_args(command.args, viewer.today)
    departments = await service.visible_departments(ctx.session, viewer.scope)
    example = departments[0].code if departments else "growth"
    if isinstance(ask, str):
        await _say(viewer, t("kpi.dept.usage", example=example))
        return
    if not ask.text:
        if Role(member.role) is Role.MANAGER and member.department_id is not None:
            await show_department(viewer, member.department_id, ask.period, ask.code)
            return
        keyboard = buttons.departments_keyboard(departments, ask.code, t)
        await _say(viewer, t("kpi.dept.pick"), keyboard)
        return
    matches = service.find_department(departments, ask.text)
    if len(matches) == 1:
        await show_department(viewer, matches[0].candidate.id, ask.period, ask.code)
    elif matches:
        keyboard = buttons.department_matches_keyboard(matches, ask.code)
        await _say(viewer, t("kpi.dept.pick"), keyboard)
    else:
        text = t("kpi.dept.not_found", query=views.quote(ask.text), example=example)
        await _say(viewer, text)


async def show_department(viewer: Viewer, department_id: int, period: Period, code: str) -> None:
    ctx = viewer.ctx
    found = await service.department_target(ctx.session, viewer.scope, department_id)
    if found is None:
        await _say(viewer, ctx.t("kpi.stale"))
        return
    department, target = found
    name = views.department_label(department, ctx.t)
    target = replace(target, name=name)
    form = ctx.org.form_for_department(department.code)
    if form is not None and form.per == "store":
        extra = await _people_targets(viewer, department, period)
        await show_target(viewer, target, period, code, extra)
        return
    if period.start > viewer.today:
        await _say_future(viewer, period)
        return
    people = await service.department_people(ctx.session, viewer.scope, department.id)
    receives = service_kpi.receives_requests(ctx.org, department)
    if not people and not receives:
        await _say(viewer, ctx.t("kpi.dept.no_people", name=views.quote(name)))
        return
    view = await service.people_kpi(
        ctx.session, ctx.org, department, people, period, viewer.today, now=viewer.now
    )
    if not any(p.reported for p in view.people):
        if receives:  # nobody reported output yet: the requests' numbers still say something
            await show_service_department(viewer, department.code)
            return
        await _say_empty(viewer, name, period)
        return
    view = await person_kpi.people_with_targets(
        ctx.session, ctx.org, view, people, period, viewer.today, now=viewer.now
    )
    caption = views.people_caption(view, ctx.org, ctx.t, name)
    if targets := people_views.people_target_lines(view, ctx.org, ctx.t):
        caption = views.fit([caption, "", *targets])
    if receives:
        caption += "\n\n" + await _service_section(viewer, department)
    data = people_views.chart_with_targets(views.people_chart(view, ctx.org, ctx.t, name), view)
    markup = buttons.view_keyboard(target, code, ctx.t)
    await _send_chart(viewer, "people", data, caption, markup)


# --- buttons ---------------------------------------------------------------------------------


async def kpi_pressed(query: CallbackQuery, callback_data: KpiCallback, ctx: Ctx) -> None:
    """Re-resolve the button's subject against the presser's scope now, then show it."""
    viewer = await _viewer(query, ctx)
    period = period_of_code(callback_data.p, viewer.today)
    view = callback_data.v
    allowed = Role(ctx.member.role) in BUTTON_VIEWS.get(view, frozenset())
    if period is None or not allowed:
        await query.answer(ctx.t("kpi.stale"), show_alert=True)
        return
    if view == "m":
        await query.answer()
        await show_me(viewer, period, callback_data.p)
        return
    if view == "d":
        found = await service.department_target(ctx.session, viewer.scope, callback_data.i)
        if found is None:
            await query.answer(ctx.t("kpi.stale"), show_alert=True)
            return
        await query.answer()
        await show_department(viewer, callback_data.i, period, callback_data.p)
        return
    if view == "c":
        info = await campaign_service.get_visible(ctx.session, viewer.scope, callback_data.i)
        if info is None:
            await query.answer(ctx.t("kpi.stale"), show_alert=True)
            return
        await query.answer()
        await show_campaign(viewer, info)
        return
    target = _target_of(viewer, view, callback_data.i)
    if target is None:
        log.info(
            "kpi button refused member_id=%s view=%s id=%s", ctx.member.id, view, callback_data.i
        )
        await query.answer(ctx.t("kpi.stale"), show_alert=True)
        return
    await query.answer()
    await show_target(viewer, target, period, callback_data.p)


def _target_of(viewer: Viewer, view: str, target_id: int) -> Target | None:
    if view == "s":
        return service.store_target(viewer.scope, target_id)
    if view == "b":
        return service.brand_target(viewer.scope, target_id)
    if view == "a" and target_id == 0:
        return service.all_target(viewer.scope, viewer.ctx.t("kpi.all"))
    if view == "p":
        platform = platform_of_id(target_id)
        if platform is None:
            return None
        name = channel_views.channel_title(platform, viewer.ctx.t)
        return channels.channel_target(viewer.scope, platform, name)
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
