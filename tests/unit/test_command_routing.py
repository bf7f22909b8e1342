"""One rule for commands in every form, checked on the router tree itself: every command
handler matches in any state, the commands the tree registers are the ones the bot knows, and
no handler of any form step takes a command as its input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Command, StateFilter
from aiogram.types import Chat, Message, User

from bot.menu import FORM_OPENERS, known_commands, opens_form, split_command
from handlers import build_root_router, fallback, mid_form
from handlers.invite import InviteForm
from handlers.order_form import OrderForm
from handlers.order_prompts import OrderAction
from handlers.plans import PlanImport
from handlers.report_adapter import ReportForm
from storage.models import Member

FORM_STATES = [
    state
    for group in (ReportForm, OrderForm, InviteForm, PlanImport, OrderAction)
    for state in group.__all_states_names__
]
TYPED = ["/history HS-SHOPEE", "/orders", "/export 2026-10", "/report", "/order", "/", "/foo"]


def message_handlers(router: Router) -> Iterator[tuple[str, HandlerObject]]:
    for handler in router.message.handlers:
        yield router.name, handler
    for child in router.sub_routers:
        yield from message_handlers(child)


HANDLERS = list(message_handlers(build_root_router()))


def commands_of(handler: HandlerObject) -> set[str]:
    return {
        str(name)
        for f in handler.filters or []
        if isinstance(f.callback, Command)
        for name in f.callback.commands
    }


def test_every_command_handler_matches_in_any_state() -> None:
    restricted = [
        f"{router}:{handler.callback.__name__}"
        for router, handler in HANDLERS
        if commands_of(handler)
        for f in handler.filters or []
        if isinstance(f.callback, StateFilter) and "*" not in f.callback.states
    ]
    assert restricted == []


def test_the_tree_registers_the_commands_the_bot_knows() -> None:
    registered = set().union(*(commands_of(h) for _, h in HANDLERS))
    assert registered == known_commands()
    assert set(mid_form.OPENERS) == set(FORM_OPENERS) <= known_commands()


def _message(text: str) -> Message:
    return Message(
        message_id=1,
        date=datetime(2026, 11, 21, tzinfo=UTC),
        chat=Chat(id=1, type="private"),
        from_user=User(id=1, is_bot=False, first_name="Tuấn"),
        text=text,
    )


async def takers(handlers: list[tuple[str, HandlerObject]], raw_state: str) -> list[str]:
    """The handlers other than the command's own (and the fallback, and the question before a
    form is replaced) that a command typed at ``raw_state`` would reach."""
    member = Member(role="manager")
    allowed = {mid_form.switch_asked, fallback.unhandled_message}
    taken = []
    for text in TYPED:
        command = split_command(text)
        assert command is not None
        for router, handler in handlers:
            matched, _ = await handler.check(
                _message(text), raw_state=raw_state, member=member, bot=None
            )
            own = command[0] in commands_of(handler)
            if matched and not own and handler.callback not in allowed:
                taken.append(f"{text!r} taken by {router}:{handler.callback.__name__}")
    return taken


@pytest.mark.parametrize("raw_state", FORM_STATES)
async def test_no_form_step_takes_a_command_as_input(raw_state: str) -> None:
    assert await takers(HANDLERS, raw_state) == []


async def test_the_check_above_can_fail() -> None:
    careless = Router(name="careless")  # a catch-all registered without NOT_A_COMMAND
    careless.message.register(cancel_pressed_by_text, StateFilter(InviteForm))
    taken = await takers(list(message_handlers(careless)), InviteForm.role.state)
    assert len(taken) == len(TYPED)


async def cancel_pressed_by_text(message: Message) -> None:
    """A handler for the check above."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/report", ("report", None)),
        ("/report@opsbot_bot  20/11 ", ("report", "20/11")),
        ("/order\n12", ("order", "12")),
        ("/", ("", None)),
        ("/ foo", ("", "foo")),
        ("hello /report", None),
        ("", None),
        (None, None),
    ],
)
def test_split_command(text: str | None, expected: tuple[str, str | None] | None) -> None:
    assert split_command(text) == expected


def test_which_commands_open_a_form() -> None:
    assert opens_form("report", None) and opens_form("report", "20/11")
    assert opens_form("order", None) and not opens_form("order", "12")
    assert opens_form("invite", None) and not opens_form("invite", "staff growth")
    assert not any(opens_form(name, None) for name in ("kpi", "off", "cancel", "help", "start"))
