"""/plan and plan import by file: a manager sends an .xlsx/.csv, checks the preview, confirms.

The preview lives in the FSM data (our database), so a restart keeps it; its buttons carry the
import id and are checked against it on arrival, so a stale or repeated press changes nothing.
Managers import for their department's stores, admins for all; bod may only view plans.
"""

from __future__ import annotations

import logging
import secrets

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.domain.months import YearMonth, parse_month
from bot.domain.plan_preview import PlanPreview
from bot.roles import Role
from bot.services import plans as service
from bot.services.plan_template import build_plan_template
from bot.services.scope import scope_of
from bot.views.plans import (
    PlanCallback,
    preview_keyboard,
    preview_text,
    problems_text,
    store_plan_text,
)
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import NOT_A_COMMAND, HasRole, IsMember

log = logging.getLogger(__name__)
TEMPLATE_WORDS = frozenset({"template", "mau", "mẫu", "mau file"})


class PlanImport(StatesGroup):
    preview = State()


# --- /plan -------------------------------------------------------------------------------------


async def plan_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    t = ctx.t
    args = (command.args or "").split()
    importer = Role(ctx.member.role) in service.IMPORTERS
    if not args:
        await message.answer(t("plan.usage") if importer else t("plan.usage_viewer"))
        return
    this_month = YearMonth.of(ctx.now().astimezone(ctx.tz).date())
    if args[0].casefold() in TEMPLATE_WORDS and importer:
        month = parse_month(args[1]) if len(args) > 1 else this_month.next()
        if month is None:
            await message.answer(t("plan.usage"))
            return
        await _send_template(message, ctx, month)
        return
    await _send_store_plan(message, ctx, args, this_month)


async def _send_store_plan(
    message: Message, ctx: Ctx, args: list[str], this_month: YearMonth
) -> None:
    """``/plan <store> [month]``: the store's targets and day weights for the month."""
    t = ctx.t
    scope = await scope_of(ctx.session, ctx.member)
    store = service.find_store(scope, args[0])
    if store is None:
        await message.answer(t("plan.not_found", code=user_text(args[0], 64)))
        return
    month_text = " ".join(args[1:])
    month = parse_month(month_text) if len(args) > 1 else this_month
    if month is None:
        await message.answer(
            t(
                "plan.bad_month",
                value=user_text(month_text, 32),
                store=store.code,
                example=str(this_month),
            )
        )
        return
    plan = await service.store_plan(ctx.session, ctx.org, store, month)
    await message.answer(store_plan_text(ctx.org, plan, t, ctx.tz))


async def _send_template(message: Message, ctx: Ctx, month: YearMonth) -> None:
    """The template of the member's stores and people (a manager of a department that
    reports per person gets the people sheet alone)."""
    t = ctx.t
    scope = await scope_of(ctx.session, ctx.member)
    template = await build_plan_template(ctx.session, ctx.org, scope, month, t)
    if not template.stores and not template.people:
        await message.answer(t("plan.no_stores"))
        return
    caption = t("plan.template.caption", month=month.label(), stores=template.stores)
    if template.people:
        caption += "\n" + t("plan.template.caption_people", people=template.people)
    await message.answer_document(
        BufferedInputFile(template.content, filename=template.file_name), caption=caption
    )


# --- import by file ----------------------------------------------------------------------------


async def plan_file_received(
    message: Message, state: FSMContext, ctx: Ctx, name: str, content: bytes
) -> None:
    """A plan file sent in chat: ``handlers/ingest.py`` takes every document, recognises the
    plan template's header and hands the downloaded file here (managers and admins only)."""
    scope = await scope_of(ctx.session, ctx.member)
    default_month = parse_month(message.caption) if message.caption else None
    check = await service.check_plan_file(
        ctx.session, ctx.org, scope, name, content, default_month=default_month
    )
    if check.preview is None:
        await message.answer(problems_text(name, check.problems, ctx.t))
        return
    await _show_preview(message, state, ctx, name, check.preview)


async def _show_preview(
    message: Message, state: FSMContext, ctx: Ctx, name: str, preview: PlanPreview
) -> None:
    text = preview_text(ctx.org, name, preview, ctx.t)
    if not preview.has_changes:
        await state.clear()
        await message.answer(text)
        return
    iid = secrets.token_hex(4)
    await state.set_state(PlanImport.preview)
    await state.set_data({"iid": iid, "file": name, "preview": preview.to_data()})
    await message.answer(text, reply_markup=preview_keyboard(iid, ctx.t))


async def _preview_for(
    query: CallbackQuery, callback_data: PlanCallback, state: FSMContext, ctx: Ctx
) -> tuple[str, PlanPreview] | None:
    """The preview the button belongs to, or None (and a "stale" answer) if it is gone."""
    data = await state.get_data()
    if await state.get_state() != PlanImport.preview.state or data.get("iid") != callback_data.iid:
        await query.answer(ctx.t("callback.stale"))
        return None
    await query.answer()
    return str(data.get("file", "")), PlanPreview.from_data(data["preview"])


async def confirm_pressed(
    query: CallbackQuery, callback_data: PlanCallback, state: FSMContext, ctx: Ctx
) -> None:
    found = await _preview_for(query, callback_data, state, ctx)
    message = query.message
    if found is None or not isinstance(message, Message):
        return
    name, preview = found
    t, session = ctx.t, ctx.session
    member_id = ctx.member.id  # read before a rollback expires the row
    scope = await scope_of(session, ctx.member)
    outcome = await service.apply_preview(
        session, ctx.org, scope, preview, member_id=member_id, now=ctx.now(), source="chat"
    )
    if outcome.refused:
        await ctx.discard_changes()
        await state.clear()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("plan.import.refused", items=user_text(", ".join(outcome.refused))))
        return
    if outcome.fresh is not None:
        await ctx.discard_changes()
        log.info("plan import conflict member=%s rows=%d", member_id, len(outcome.conflicts))
        await message.edit_reply_markup(reply_markup=None)
        moved = len(outcome.conflicts) + outcome.moved
        await message.answer(t("plan.import.conflict", count=moved))
        await _show_preview(message, state, ctx, name, outcome.fresh)
        return
    await state.clear()
    await ctx.save_before_announcing()  # saved for sure before saying so
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(t("plan.import.applied", **preview.counts))


async def cancel_pressed(
    query: CallbackQuery, callback_data: PlanCallback, state: FSMContext, ctx: Ctx
) -> None:
    found = await _preview_for(query, callback_data, state, ctx)
    if found is None or not isinstance(query.message, Message):
        return
    await state.clear()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(ctx.t("plan.import.cancelled"))


async def stale_button(query: CallbackQuery, ctx: Ctx) -> None:
    await query.answer(ctx.t("callback.stale"))


async def preview_catch_all(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("plan.import.use_buttons"))


def create_router() -> Router:
    router = Router(name="plans")
    router.message.filter(F.chat.type == "private", IsMember())
    router.callback_query.filter(IsMember())
    importers, viewers = HasRole(*service.IMPORTERS), HasRole(*service.VIEWERS)
    router.message.register(plan_command, Command("plan"), StateFilter("*"), viewers)
    # Documents are taken by handlers/ingest.py (plan files come back to plan_file_received).
    cb = router.callback_query
    cb.register(confirm_pressed, PlanCallback.filter(F.action == "ok"), importers)
    cb.register(cancel_pressed, PlanCallback.filter(F.action == "no"), importers)
    cb.register(stale_button, PlanCallback.filter())
    router.message.register(preview_catch_all, PlanImport.preview, NOT_A_COMMAND)
    return router
