"""/status (who has reported) and /history (every revision of a report)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services.reporting import (
    default_business_date,
    form_of,
    member_subject,
    parse_report_date,
    report_status,
    requested_date,
    store_subject,
    visible_store,
)
from bot.views import reports as views
from handlers.filters import HasRole
from storage.models import Member
from storage.repositories import reports

STATUS_VIEWERS = (Role.MANAGER, Role.BOD, Role.ADMIN)


async def status_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    default = default_business_date(org, clock.now())
    day = requested_date(command.args, default)
    if day is None:
        await message.answer(t("status.usage", example=default.isoformat()))
        return
    statuses = await report_status(session, org, member, day)
    await message.answer(views.status_text(statuses, day, t))


async def history_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    args = (command.args or "").split()
    if not args:
        await message.answer(t("history.usage"))
        return
    day = None
    if len(args) > 1:
        day = parse_report_date(args[1], default_business_date(org, clock.now()))
        if day is None:
            await message.answer(t("history.usage"))
            return
    if args[0].lower() in ("me", "toi", "tôi"):
        form = form_of(org, member)
        if form is None or form.per != "person":
            await message.answer(t("history.usage"))
            return
        subject, form_code = member_subject(member), form.code
    else:
        store = await visible_store(session, member, args[0])
        store_config = org.store(store.code) if store else None
        form = org.form_for_department(store_config.department) if store_config else None
        if store is None or form is None:
            await message.answer(t("history.not_found", code=args[0]))
            return
        subject, form_code = store_subject(store), form.code
    entries = await reports.revision_history(session, subject.key, form_code, day)
    order = form.metric_keys if form else ()
    await message.answer(views.history_text(subject.label, entries, org, t, order))


def create_router() -> Router:
    router = Router(name="report_status")
    router.message.filter(F.chat.type == "private")
    router.message.register(
        status_command, Command("status"), StateFilter("*"), HasRole(*STATUS_VIEWERS)
    )
    router.message.register(history_command, Command("history"), StateFilter("*"), HasRole(*Role))
    return router
