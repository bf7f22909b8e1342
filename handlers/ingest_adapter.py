"""The upload preview as the form engine sees it: no questions, a store pick, then a
confirm-only summary (the preview). The engine brings Cancel, stale buttons and the catch-alls;
``handlers/ingest.py`` brings the file, the store buttons and Confirm."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup

from bot.domain.upload_draft import UploadDraft, UploadPreview
from bot.services import ingest_upload as service
from bot.views import ingest as views
from bot.views.ingest import IngestCallback
from handlers.context import Ctx
from handlers.form_engine import (
    FormAdapter,
    FormEngine,
    FormSpec,
    FormTexts,
    Lost,
    Outcome,
    Screen,
    Step,
)


class IngestUpload(StatesGroup):
    pick = State()  # which store the file is for
    field = State()  # never entered: an upload has no questions
    summary = State()  # the preview, with Confirm and Cancel


async def build_preview(ctx: Ctx, draft: UploadDraft) -> UploadPreview:
    """What Confirm would write now for the draft's store (nothing is written)."""
    assert draft.store is not None
    scope = await service.member_scope(ctx.session, ctx.org, ctx.member, ctx.now())
    return await service.preview(
        ctx.session, ctx.org, draft.parsed(), draft.store, scope, now=ctx.now(), t=ctx.t
    )


def preview_screen(ctx: Ctx, draft: UploadDraft, preview: UploadPreview) -> Screen:
    """The preview and its buttons; the draft keeps the digest Confirm must find again."""
    draft.digest = preview.digest
    return views.preview_text(ctx.org, preview, ctx.t), views.preview_keyboard(draft.rid, ctx.t)


class UploadAdapter(FormAdapter[UploadDraft]):
    spec = FormSpec(
        states=IngestUpload,
        field_step=IngestUpload.field,
        summary_step=IngestUpload.summary,
        pick_step=IngestUpload.pick,
        callback=IngestCallback,
        cursor=UploadDraft,
        texts=FormTexts.under("ingest"),
        back_from=(IngestUpload.summary,),  # never offered; a forged Back only says "first step"
        hints={IngestUpload.pick: "ingest.pick_use_buttons"},
    )

    async def question(self, ctx: Ctx, draft: UploadDraft, key: str) -> Screen:
        raise LookupError("an upload preview has no questions")

    async def summary(self, ctx: Ctx, draft: UploadDraft) -> Screen:
        return preview_screen(ctx, draft, await build_preview(ctx, draft))

    async def read(self, step: Step[UploadDraft]) -> Outcome:
        return Lost()

    def skip_echo(self, ctx: Ctx, draft: UploadDraft, key: str) -> str | None:
        return None


FORM = FormEngine(UploadAdapter())


async def show_preview(step: Step[UploadDraft], echo: str | None = None) -> None:
    """The preview as the form's summary; a file that changes nothing ends the run instead."""
    preview = await build_preview(step.ctx, step.draft)
    if not preview.has_changes:
        await step.state.clear()
        text = views.preview_text(step.ctx.org, preview, step.ctx.t)
        await step.message.answer(f"{echo}\n\n{text}" if echo else text)
        return
    text, keyboard = preview_screen(step.ctx, step.draft, preview)
    step.draft.current = None
    await step.state.set_state(IngestUpload.summary)
    await FORM.save(step)
    await step.message.answer(f"{echo}\n\n{text}" if echo else text, reply_markup=keyboard)
