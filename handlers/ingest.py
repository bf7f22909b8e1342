"""Documents in a private chat: order exports (preview, store pick, Confirm) and plan files.

Every document sent outside other forms comes here. Its size and type are checked from what
Telegram tells before downloading; the file is then read off the event loop. A file with the
plan template's header goes to plan import (``handlers/plans.py``, managers and admins); any
other is read as an order export. The upload is a form on the shared engine
(``handlers/ingest_adapter.py``): its draft, in the FSM data, survives a restart; every button
is checked against the run it belongs to, the stores offered and the member's scope.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Document, Message

from bot.domain.form_cursor import new_run_id
from bot.domain.upload_draft import ParsedFile, UploadDraft, UploadPreview
from bot.roles import Role
from bot.services import ingest_upload as service
from bot.views import ingest as views
from bot.views.ingest import IngestCallback
from handlers import plans
from handlers.context import Ctx
from handlers.filters import IsMember
from handlers.form_engine import STALE, Step
from handlers.ingest_adapter import FORM, IngestUpload, show_preview

log = logging.getLogger(__name__)


def _fetcher(ctx: Ctx, document: Document) -> service.Fetch:
    async def fetch(path: Path) -> bool:
        try:
            await ctx.bot.download(document, destination=path)
        except (TelegramAPIError, OSError) as error:
            log.warning("upload download failed file_id=%s error=%s", document.file_id, error)
            return False
        return True

    return fetch


async def document_received(message: Message, state: FSMContext, ctx: Ctx) -> None:
    document = message.document
    assert document is not None
    name = document.file_name or "file"
    plans_too = Role(ctx.member.role) in service.PLAN_IMPORTERS
    refusal = service.precheck(name, document.file_size)
    if refusal is None:
        upload = await service.read_upload(_fetcher(ctx, document), name, ctx.org, ctx.now())
        refusal = upload.refusal
        if upload.kind == "plan" and upload.plan_content is not None:
            if not plans_too:
                await message.answer(ctx.t("plan.import.staff_refused"))
                return
            await plans.plan_file_received(message, state, ctx, name, upload.plan_content)
            return
        if upload.parsed is not None:
            await _start(message, state, ctx, upload.parsed)
            return
    assert refusal is not None
    text = views.refusal_text(name, refusal.code, refusal.params, ctx.t, plans_too=plans_too)
    await message.answer(text)


async def _start(message: Message, state: FSMContext, ctx: Ctx, parsed: ParsedFile) -> None:
    """The store: the one the file names, the member's only store on its platform, or ask."""
    draft = UploadDraft.start(parsed)
    stores = await service.member_stores(ctx.session, ctx.member, ctx.stores_catalog)
    choice = service.choose_store(stores, parsed)
    if choice.unknown is not None:
        await message.answer(views.unknown_store_text(choice.unknown, ctx.t))
        return
    if not choice.stores:
        await message.answer(views.no_store_text(parsed.platform, ctx.t))
        return
    if len(choice.stores) == 1:
        draft.store = choice.stores[0].code
        await show_preview(Step(ctx, state, message, draft))
        return
    draft.choices = [s.id for s in choice.stores]
    await state.set_state(IngestUpload.pick)
    await state.set_data(draft.to_data())
    options = [(s.id, s.code, s.name) for s in choice.stores]
    await message.answer(
        views.pick_store_text(parsed.file_name, parsed.format, ctx.t),
        reply_markup=views.store_keyboard(draft.rid, options, ctx.t),
    )


async def store_pressed(
    query: CallbackQuery, callback_data: IngestCallback, state: FSMContext, ctx: Ctx
) -> None:
    draft = await FORM.load(state)
    store = None
    if draft is not None and draft.rid == callback_data.rid:
        store = await service.pickable_store(ctx.session, ctx.member, draft, callback_data.value)
    if draft is None or store is None or not isinstance(query.message, Message):
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    draft.store = store.code
    await query.message.edit_reply_markup(reply_markup=None)
    echo = views.store_picked_text(store.code, ctx.t)
    await show_preview(Step(ctx, state, query.message, draft), echo)


async def confirm_pressed(
    query: CallbackQuery, callback_data: IngestCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    draft = step.draft
    if draft.store is None:
        await FORM.lost(step.message, state, ctx)
        return
    session, member_id = ctx.session, ctx.member.id  # read before a rollback expires the row
    scope = await service.member_scope(session, ctx.org, ctx.member, ctx.now())
    applied = await service.apply(
        session,
        ctx.org,
        draft.parsed(),
        draft.store,
        scope,
        actor_id=member_id,
        expected_digest=draft.digest,
        now=ctx.now(),
        t=ctx.t,
    )
    await step.message.edit_reply_markup(reply_markup=None)
    if applied.moved:
        await ctx.discard_changes()  # nothing of it is kept: the member confirms what they see
        fresh = await service.preview(
            session, ctx.org, draft.parsed(), draft.store, scope, now=ctx.now(), t=ctx.t
        )
        draft.rid = new_run_id()  # the old preview's buttons go stale
        await _show_fresh(step, fresh)
        return
    await state.clear()
    await ctx.save_before_announcing()  # saved for sure before saying so
    await step.message.answer(views.applied_text(applied.preview, ctx.t))


async def _show_fresh(step: Step[UploadDraft], fresh: UploadPreview) -> None:
    ctx = step.ctx
    await step.message.answer(views.moved_text(ctx.t))
    if not fresh.has_changes:
        await step.state.clear()
        await step.message.answer(views.preview_text(ctx.org, fresh, ctx.t))
        return
    step.draft.digest = fresh.digest
    await step.state.set_state(IngestUpload.summary)
    await FORM.save(step)
    await step.message.answer(
        views.preview_text(ctx.org, fresh, ctx.t),
        reply_markup=views.preview_keyboard(step.draft.rid, ctx.t),
    )


def create_router() -> Router:
    router = Router(name="ingest")
    router.message.filter(F.chat.type == "private", IsMember())
    router.callback_query.filter(IsMember())
    # Files are taken outside other forms only (an order form may ask for a file); a new file
    # replaces a preview not yet confirmed, of an upload or of a plan.
    router.message.register(
        document_received,
        F.document,
        StateFilter(None, IngestUpload.pick, IngestUpload.summary, plans.PlanImport.preview),
    )
    cb = router.callback_query
    cb.register(store_pressed, IngestCallback.filter(F.action == "store"), IngestUpload.pick)
    cb.register(confirm_pressed, IngestCallback.filter(F.action == "ok"), IngestUpload.summary)
    FORM.install(router)  # Cancel, stale buttons and the catch-alls: last
    return router
