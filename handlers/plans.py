"""/plan and plan import by file: a manager sends an .xlsx/.csv, checks the preview, confirms.

The preview lives in the FSM data (our database), so a restart keeps it; its buttons carry the
import id and are checked against it on arrival, so a stale or repeated press changes nothing.
Managers import for their department's stores, admins for all; bod may only view plans.
"""

from __future__ import annotations

import io
import logging
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.months import YearMonth, parse_month
from bot.domain.plan_file import file_kind, size_problem
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services import plans as service
from bot.services.plan_template import build_plan_template
from bot.services.scope import scope_of
from bot.views.plans import preview_text, problems_text, store_plan_text
from handlers.filters import HasRole, IsMember
from storage.models import Member

log = logging.getLogger(__name__)
TEMPLATE_WORDS = frozenset({"template", "mau", "mẫu", "mau file"})


class PlanImport(StatesGroup):
    preview = State()


class PlanCallback(CallbackData, prefix="plan"):
    action: str  # ok | no
    iid: str  # the import (preview) the button belongs to


def _preview_keyboard(iid: str, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("plan.button.confirm"),
                    callback_data=PlanCallback(action="ok", iid=iid).pack(),
                ),
                InlineKeyboardButton(
                    text=t("plan.button.cancel"),
                    callback_data=PlanCallback(action="no", iid=iid).pack(),
                ),
            ]
        ]
    )


def _today_month(clock: Clock, timezone: ZoneInfo) -> YearMonth:
    return YearMonth.of(clock.now().astimezone(timezone).date())


# --- /plan -------------------------------------------------------------------------------------


async def plan_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    timezone: ZoneInfo,
    t: Translator,
) -> None:
    args = (command.args or "").split()
    importer = Role(member.role) in service.IMPORTERS
    if not args:
        await message.answer(t("plan.usage") if importer else t("plan.usage_viewer"))
        return
    this_month = _today_month(clock, timezone)
    if args[0].casefold() in TEMPLATE_WORDS and importer:
        month = parse_month(args[1]) if len(args) > 1 else this_month.next()
        if month is None:
            await message.answer(t("plan.usage"))
            return
        await _send_template(message, session, member, org, month, t)
        return
    scope = await scope_of(session, member)
    store = service.find_store(scope, args[0])
    if store is None:
        await message.answer(t("plan.not_found", code=args[0][:64]))
        return
    month = parse_month(" ".join(args[1:])) if len(args) > 1 else this_month
    if month is None:
        await message.answer(
            t(
                "plan.bad_month",
                value=" ".join(args[1:])[:32],
                store=store.code,
                example=str(this_month),
            )
        )
        return
    plan = await service.store_plan(session, org, store, month)
    await message.answer(store_plan_text(org, plan, t, timezone))


async def _send_template(
    message: Message,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    month: YearMonth,
    t: Translator,
) -> None:
    scope = await scope_of(session, member)
    if not scope.stores:
        await message.answer(t("plan.no_stores"))
        return
    name, content = await build_plan_template(session, org, scope, month, t)
    await message.answer_document(
        BufferedInputFile(content, filename=name),
        caption=t("plan.template.caption", month=month.label(), stores=len(scope.stores)),
    )


# --- import by file ----------------------------------------------------------------------------


async def document_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    bot: Bot,
    t: Translator,
) -> None:
    document = message.document
    assert document is not None
    name = document.file_name or "file"
    if file_kind(name) is None:
        await message.answer(t("plan.import.unsupported", name=name[:100]))
        return
    too_big = size_problem(document.file_size)
    if too_big is not None:
        await message.answer(problems_text(name, [too_big], t))
        return
    content = await _download(bot, document)
    if content is None:
        await message.answer(t("plan.import.download_failed"))
        return
    scope = await scope_of(session, member)
    default_month = parse_month(message.caption) if message.caption else None
    check = await service.check_plan_file(
        session, org, scope, name, content, default_month=default_month
    )
    if check.preview is None:
        await message.answer(problems_text(name, check.problems, t))
        return
    await _show_preview(message, state, org, name, check.preview, t)


async def _download(bot: Bot, document: Document) -> bytes | None:
    buffer = io.BytesIO()
    try:
        await bot.download(document, destination=buffer)
    except (TelegramAPIError, OSError) as error:
        log.warning("plan file download failed file_id=%s error=%s", document.file_id, error)
        return None
    return buffer.getvalue()


async def _show_preview(
    message: Message,
    state: FSMContext,
    org: OrgConfig,
    name: str,
    preview: service.PlanPreview,
    t: Translator,
) -> None:
    text = preview_text(org, name, preview, t)
    if not preview.has_changes:
        await state.clear()
        await message.answer(text)
        return
    iid = secrets.token_hex(4)
    await state.set_state(PlanImport.preview)
    await state.set_data({"iid": iid, "file": name, "preview": preview.to_data()})
    await message.answer(text, reply_markup=_preview_keyboard(iid, t))


async def document_refused(message: Message, t: Translator) -> None:
    await message.answer(t("plan.import.staff_refused"))


async def _preview_for(
    query: CallbackQuery, callback_data: PlanCallback, state: FSMContext, t: Translator
) -> tuple[str, service.PlanPreview] | None:
    data = await state.get_data()
    if await state.get_state() != PlanImport.preview.state or data.get("iid") != callback_data.iid:
        await query.answer(t("callback.stale"))
        return None
    await query.answer()
    return str(data.get("file", "")), service.PlanPreview.from_data(data["preview"])


async def confirm_pressed(
    query: CallbackQuery,
    callback_data: PlanCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    found = await _preview_for(query, callback_data, state, t)
    message = query.message
    if found is None or not isinstance(message, Message):
        return
    name, preview = found
    member_id = member.id  # read before a rollback expires the row
    scope = await scope_of(session, member)
    now: datetime = clock.now()
    outcome = await service.apply_preview(
        session, org, scope, preview, member_id=member_id, now=now, source="chat"
    )
    if outcome.refused:
        await session.rollback()
        await state.clear()
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("plan.import.refused", items=", ".join(outcome.refused)))
        return
    if outcome.fresh is not None:
        await session.rollback()
        log.info("plan import conflict member=%s rows=%d", member_id, len(outcome.conflicts))
        await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("plan.import.conflict", count=len(outcome.conflicts)))
        await _show_preview(message, state, org, name, outcome.fresh, t)
        return
    await state.clear()
    await session.commit()  # saved for sure before saying so
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(t("plan.import.applied", **preview.counts))


async def cancel_pressed(
    query: CallbackQuery, callback_data: PlanCallback, state: FSMContext, t: Translator
) -> None:
    found = await _preview_for(query, callback_data, state, t)
    if found is None or not isinstance(query.message, Message):
        return
    await state.clear()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("plan.import.cancelled"))


async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("callback.stale"))


async def preview_catch_all(message: Message, t: Translator) -> None:
    await message.answer(t("plan.import.use_buttons"))


def create_router() -> Router:
    router = Router(name="plans")
    router.message.filter(F.chat.type == "private", IsMember())
    router.callback_query.filter(IsMember())
    importers, viewers = HasRole(*service.IMPORTERS), HasRole(*service.VIEWERS)
    router.message.register(plan_command, Command("plan"), StateFilter("*"), viewers)
    # Files are taken outside other forms only (an order form may ask for a file).
    router.message.register(
        document_received, F.document, StateFilter(None, PlanImport.preview), importers
    )
    router.message.register(
        document_refused, F.document, StateFilter(None), HasRole(Role.STAFF, Role.BOD)
    )
    cb = router.callback_query
    cb.register(confirm_pressed, PlanCallback.filter(F.action == "ok"), importers)
    cb.register(cancel_pressed, PlanCallback.filter(F.action == "no"), importers)
    cb.register(stale_button, PlanCallback.filter())
    router.message.register(preview_catch_all, PlanImport.preview)
    return router
