"""One loop for every conversational form: ask a question, go on to the next or to the
summary, Back, Skip, Cancel, stale buttons, unexpected messages and commands mid-form.

The form's cursor (``bot.domain.form_cursor.FormCursor``) lives in the FSM data, in our
database, so a restart loses nothing. Every button carries the form run id (``rid``) and is
checked against the cursor on arrival: a button of an older run, of a form no longer in
progress or of another member's form answers "no longer valid" and changes nothing.

A form plugs in with an adapter, a ``FormAdapter`` subclass. The contract:

- ``spec``: a ``FormSpec`` — the form's states (its ``field`` and ``summary`` steps, and
  ``pick`` when it starts with a choice), its callback data (fields ``rid``, ``action``,
  ``value``; the actions ``back``, ``skip`` and ``cancel`` belong to the engine), its cursor
  class, its text keys, where Back is offered, which messages answer a question, a hint per
  step for anything unexpected there.
- ``question(ctx, draft, key)`` / ``summary(ctx, draft)``: the text and keyboard of a
  question and of the summary.
- ``read(step)``: the message at a question. Put the answer in ``step.draft`` and return
  ``Answered(echo)``; or ``Refused(text)``; ``Lost()`` when the question no longer exists; None
  when the adapter moved the form itself (e.g. a confirmation detour).
- ``skip_echo(ctx, draft, key)``: the line shown after skipping ``key``; None if required.

Commands: a text starting with "/" is never an answer. No handler the engine installs sees one
(``handlers.filters.NOT_A_COMMAND``), and a form's own message handlers use the same filter, so
the command reaches its own router and runs while the form waits where it was; the router tree
(``handlers/__init__.py``) asks first when the command would open another form, and says how
to go on afterwards.

Everything else a form does (how it starts, its pick step, buttons that answer, the summary's
own buttons, submit) stays in its module. That module registers those handlers on its router,
then calls ``engine.install(router)`` (stale buttons and catch-alls go last), and moves the
form with ``ask``, ``advance`` and ``show_summary``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.magic_filter import MagicFilter

from bot.domain.form_cursor import FormCursor, new_run_id
from handlers.context import Ctx
from handlers.filters import NOT_A_COMMAND

D = TypeVar("D", bound=FormCursor[Any])
Screen = tuple[str, InlineKeyboardMarkup]
STALE = "callback.stale"


class RunButton(Protocol):
    """The callback data of a form's buttons."""

    rid: str  # the form run the button belongs to
    action: str
    value: str


@dataclass(frozen=True)
class FormTexts:
    """i18n keys of the engine's own replies, one set per form."""

    first_question: str  # Back pressed at the first question
    cannot_skip: str
    cancelled: str
    lost: str  # the form's data is gone: start again
    use_buttons: str  # anything unexpected at a step without a hint of its own

    @classmethod
    def under(cls, prefix: str, **overrides: str) -> FormTexts:
        """The keys ``<prefix>.first_question``, ``<prefix>.cannot_skip``… unless overridden."""
        keys = {name: f"{prefix}.{name}" for name in cls.__dataclass_fields__}
        return cls(**(keys | overrides))


@dataclass(frozen=True)
class FormSpec(Generic[D]):
    states: type[StatesGroup]
    field_step: State
    summary_step: State
    pick_step: State | None
    callback: type[CallbackData]
    cursor: type[D]
    texts: FormTexts
    back_from: tuple[State, ...]  # the steps whose keyboards offer Back
    answers: tuple[MagicFilter, ...] = ()  # the messages that answer a question; () = any
    hints: Mapping[State, str] = field(default_factory=dict)  # step -> unexpected input


@dataclass
class Step(Generic[D]):
    """One update in a run of a form: whom to answer, where the form is kept, its draft."""

    ctx: Ctx
    state: FSMContext
    message: Message
    draft: D


@dataclass(frozen=True)
class Answered:
    """The draft took the answer: go on, after showing ``echo``."""

    echo: str | None = None


@dataclass(frozen=True)
class Refused:
    """Not an answer: say why and keep asking the same question."""

    text: str


@dataclass(frozen=True)
class Lost:
    """The question no longer exists (the org file changed): the run is over."""


Outcome = Answered | Refused | Lost | None


class FormAdapter(ABC, Generic[D]):
    """What one form tells the engine; see the module docstring."""

    spec: FormSpec[D]

    @abstractmethod
    async def question(self, ctx: Ctx, draft: D, key: str) -> Screen: ...

    @abstractmethod
    async def summary(self, ctx: Ctx, draft: D) -> Screen: ...

    @abstractmethod
    async def read(self, step: Step[D]) -> Outcome: ...

    @abstractmethod
    def skip_echo(self, ctx: Ctx, draft: D, key: str) -> str | None: ...


def _with_echo(echo: str | None, text: str) -> str:
    return f"{echo}\n\n{text}" if echo else text


class FormEngine(Generic[D]):
    def __init__(self, adapter: FormAdapter[D]) -> None:
        self.adapter = adapter
        self.spec = adapter.spec

    # --- moving the form ----------------------------------------------------------------------

    async def save(self, step: Step[D]) -> None:
        await step.state.set_data(step.draft.to_data())

    async def ask(self, step: Step[D], key: str, echo: str | None = None) -> None:
        step.draft.current = key
        await step.state.set_state(self.spec.field_step)
        await self.save(step)
        text, keyboard = await self.adapter.question(step.ctx, step.draft, key)
        await step.message.answer(_with_echo(echo, text), reply_markup=keyboard)

    async def advance(self, step: Step[D], echo: str | None = None) -> None:
        """Past the current question: the next one, or the summary when none is left."""
        key = step.draft.advance()
        if key is None:
            await self.show_summary(step, echo)
            return
        await self.ask(step, key, echo)

    async def show_summary(self, step: Step[D], echo: str | None = None) -> None:
        """The summary; a required field still unanswered is asked first."""
        step.draft.current = None
        missing = step.draft.missing_required()
        if missing:
            await self.ask(step, missing[0], echo)
            return
        text, keyboard = await self.adapter.summary(step.ctx, step.draft)
        await step.state.set_state(self.spec.summary_step)
        await self.save(step)
        await step.message.answer(_with_echo(echo, text), reply_markup=keyboard)

    async def open_pick(self, state: FSMContext, **data: str) -> str:
        """Start a run at its pick step (no draft yet); the new run id, for the buttons."""
        if self.spec.pick_step is None:
            raise LookupError("this form starts without a pick step")
        rid = new_run_id()
        await state.set_state(self.spec.pick_step)
        await state.set_data({"pick_rid": rid, **data})
        return rid

    async def pick_matches(self, state: FSMContext, rid: str) -> bool:
        """True when a button belongs to the pick step now open."""
        return bool((await state.get_data()).get("pick_rid") == rid)

    # --- loading a run ------------------------------------------------------------------------

    async def load(self, state: FSMContext) -> D | None:
        return self.spec.cursor.from_data(await state.get_data())

    async def button_step(
        self, query: CallbackQuery, callback_data: RunButton, state: FSMContext, ctx: Ctx
    ) -> Step[D] | None:
        """The run a pressed button belongs to (the press is acknowledged); None after telling
        the presser the button is stale."""
        draft = await self.load(state)
        if (
            draft is None
            or draft.rid != callback_data.rid
            or not isinstance(query.message, Message)
        ):
            await query.answer(ctx.t(STALE))
            return None
        await query.answer()
        return Step(ctx, state, query.message, draft)

    async def message_step(self, message: Message, state: FSMContext, ctx: Ctx) -> Step[D] | None:
        """The run a message belongs to; None after saying it is gone."""
        draft = await self.load(state)
        if draft is None:
            await self.lost(message, state, ctx)
            return None
        return Step(ctx, state, message, draft)

    async def lost(self, message: Message, state: FSMContext, ctx: Ctx) -> None:
        await state.clear()
        await message.answer(ctx.t(self.spec.texts.lost))

    # --- the engine's handlers ----------------------------------------------------------------

    async def answer_message(self, message: Message, state: FSMContext, ctx: Ctx) -> None:
        step = await self.message_step(message, state, ctx)
        if step is None:
            return
        if step.draft.current is None:
            await self.lost(message, state, ctx)
            return
        outcome = await self.adapter.read(step)
        if isinstance(outcome, Answered):
            await self.advance(step, outcome.echo)
        elif isinstance(outcome, Refused):
            await message.answer(outcome.text)
        elif isinstance(outcome, Lost):
            await self.lost(message, state, ctx)

    async def back_pressed(
        self, query: CallbackQuery, callback_data: RunButton, state: FSMContext, ctx: Ctx
    ) -> None:
        step = await self.button_step(query, callback_data, state, ctx)
        if step is None:
            return
        previous = step.draft.previous_field()
        if previous is None:
            await step.message.answer(ctx.t(self.spec.texts.first_question))
            return
        await self.ask(step, previous)

    async def skip_pressed(
        self, query: CallbackQuery, callback_data: RunButton, state: FSMContext, ctx: Ctx
    ) -> None:
        step = await self.button_step(query, callback_data, state, ctx)
        if step is None or step.draft.current is None:
            return
        key = step.draft.current
        echo = self.adapter.skip_echo(ctx, step.draft, key)
        if echo is None:
            await step.message.answer(ctx.t(self.spec.texts.cannot_skip))
            return
        step.draft.skip(key)
        await self.advance(step, echo)

    async def cancel_pressed(
        self, query: CallbackQuery, callback_data: RunButton, state: FSMContext, ctx: Ctx
    ) -> None:
        """Cancel from any step: forget the run, if the button belongs to it."""
        data = await state.get_data()
        draft = self.spec.cursor.from_data(data)
        current_rid = draft.rid if draft else data.get("pick_rid")
        if current_rid != callback_data.rid:
            await query.answer(ctx.t(STALE))
            return
        await state.clear()
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(ctx.t(self.spec.texts.cancelled))

    async def stale_pressed(self, query: CallbackQuery, ctx: Ctx) -> None:
        await query.answer(ctx.t(STALE))

    def hint(self, key: str) -> Callable[[Message, Ctx], Awaitable[None]]:
        """A handler that answers anything with the text ``key``."""

        async def reply(message: Message, ctx: Ctx) -> None:
            await message.answer(ctx.t(key))

        return reply

    def install(self, router: Router) -> None:
        """Register the engine's handlers; after the form's own, since the last ones catch
        every other button and message of the form. None of them sees a command."""
        spec, cb, msg = self.spec, router.callback_query, router.message
        every_step = StateFilter(spec.states)
        cb.register(self.cancel_pressed, spec.callback.filter(F.action == "cancel"), every_step)
        cb.register(
            self.back_pressed,
            spec.callback.filter(F.action == "back"),
            StateFilter(*spec.back_from),
        )
        cb.register(self.skip_pressed, spec.callback.filter(F.action == "skip"), spec.field_step)
        cb.register(self.stale_pressed, spec.callback.filter())
        msg.register(self.answer_message, spec.field_step, *spec.answers, NOT_A_COMMAND)
        for step_state, key in spec.hints.items():
            msg.register(self.hint(key), step_state, NOT_A_COMMAND)
        msg.register(self.hint(spec.texts.use_buttons), every_step, NOT_A_COMMAND)
