"""Hostile input for end-to-end tests: a fixed corpus, a hypothesis strategy, and a probe that
sends one input and checks what came back.

The probe waits for the positive signal first (the bot's reply, then the update handled), and
only then checks the negatives: no Bot API call the sandbox refused (its HTML and length checks
answer 400 exactly where Telegram would), no error logged, no "internal error" text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, Phase, example, settings
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.sandbox.client import BotOutput, SandboxUser
from bot.sandbox.html_check import clean_text
from support.bot_harness import BotUnderTest

LONG = 4000
CORPUS: tuple[str, ...] = (
    "<b>x</i>",
    "<script>alert(1)</script>",
    "</b>",
    "<i>unclosed",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="x">',
    "a < b > c & d",
    "<<>>",
    "<tg-spoiler>",
    "&amp;",
    "&#0;",
    "&lt;b&gt;",
    "&foo;",
    "&#x110000;",
    "x" * LONG,
    "<b>" * (LONG // 3),
    "&amp;" * (LONG // 5),
    "9" * LONG,
    "👨‍👩‍👧‍👦🇻🇳👍🏽",
    "مرحبا 123",
    "\u202eabc\u202c",
    "a\u200bb\u200c\u200dc\ufeff",
    "a\x00b",
    "\x01\x07\x1b[31mred\x7f",
    "line1\r\nline2",
    "'; DROP TABLE members; --",
    "1 OR 1=1",
    "1e309",
    "NaN",
    "-inf",
    "١٢٣",
    "１２３",
    "١2３",
    "{text} {0} %s",
    "12tr <b>",
    "2026-13<b>",  # looks like a month or a date at first: read further before refusing
    "25/11 <i>",
    "25/11<b>x</i>",
)

_FRAGMENTS = st.sampled_from(
    [
        "<b>",
        "</i>",
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "&lt;",
        "<a href='x'>",
        "<code>",
        "\x00",
        "\u200b",
        "\u200d",
        "\u202e",
        "\u2028",
        "👨‍👩‍👧",
        "🇻🇳",
        "مرحبا",
        "١٢",
        "１２",
        "'; --",
        "1e309",
        "NaN",
        "12tr",
        "gmv",
        "{0}",
        "\n",
    ]
)


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    """A message a user could send: fragments and random text, sometimes very long."""
    parts = draw(
        st.lists(st.one_of(_FRAGMENTS, st.text(min_size=1, max_size=12)), min_size=1, max_size=8)
    )
    text = "".join(parts)
    if draw(st.integers(0, 9)) == 0:
        text = (text * (LONG // max(len(text), 1) + 1))[:LONG]
    return text


def sendable(text: str) -> bool:
    """Telegram apps send no message that shows nothing (a NUL shows as a space), and none
    over 4096 characters."""
    shown = clean_text(text)
    return bool(shown.strip(" \t\n\r\x0b\x0c\u200b\u200c\u200d\ufeff\xa0")) and len(text) <= 4096


HOSTILE = hostile_text().filter(sendable)
# Through the sandbox an example takes tens of milliseconds and a failing one seconds: no
# shrinking (a failure shows the input as it was generated).
FUZZ = settings(
    max_examples=15,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def with_corpus(
    argument: str, corpus: tuple[str, ...] = CORPUS
) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """Every string of ``corpus`` as an explicit example of the ``argument`` of a @given test."""

    def decorate(test: Callable[..., object]) -> Callable[..., object]:
        for text in reversed(corpus):
            test = example(**{argument: text})(test)
        return test

    return decorate


INTERNAL_ERRORS = tuple(Translator(locale)("error.internal") for locale in ("vi", "en"))


class Watch(logging.Handler):
    """Refused Bot API calls (the sandbox's 400s) and error log lines, while attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.refused: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "bot.sandbox.server" and "rejected" in str(record.msg):
            self.refused.append(record.getMessage())
        elif record.levelno >= logging.ERROR:
            self.errors.append(f"{record.name}: {record.getMessage()}")

    def clear(self) -> None:
        self.refused.clear()
        self.errors.clear()


@contextmanager
def watching() -> Iterator[Watch]:
    watch = Watch()
    root, server = logging.getLogger(), logging.getLogger("bot.sandbox.server")
    old_level = server.level
    server.setLevel(logging.DEBUG)
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        server.setLevel(old_level)


async def settle(app: BotUnderTest, user: SandboxUser, *, timeout: float = 10.0) -> list[BotOutput]:
    """The bot's answer to what ``user`` just did: its first output (the update reached a
    handler), then everything else it sent once no update is being handled any more."""
    first = await user.next_output(timeout=timeout)
    assert app.runtime is not None
    assert await app.runtime.in_flight.wait_idle(timeout), "the update is still being handled"
    return [first, *user.drain()]


def check_clean(watch: Watch, outputs: list[BotOutput], sent: str) -> None:
    shown = repr(sent[:80])
    assert not watch.refused, f"Telegram would refuse a reply to {shown}: {watch.refused}"
    assert not watch.errors, f"errors logged for {shown}: {watch.errors}"
    for output in outputs:
        assert not any(text in output.text for text in INTERNAL_ERRORS), (shown, output.text)


async def probe(
    app: BotUnderTest,
    user: SandboxUser,
    watch: Watch,
    text: str,
    *,
    chat_id: int | None = None,
    timeout: float = 10.0,
) -> list[BotOutput]:
    """Send ``text``; the replies, after checking Telegram accepted them all and nothing failed."""
    user.drain()
    watch.clear()
    await user.send(text, chat_id=chat_id)
    outputs = await settle(app, user, timeout=timeout)
    check_clean(watch, outputs, text)
    return outputs


def fsm_key(app: BotUnderTest, user: SandboxUser) -> StorageKey:
    return StorageKey(bot_id=app.sandbox.bot_id, chat_id=user.user_id, user_id=user.user_id)


async def form_state(app: BotUnderTest, user: SandboxUser) -> tuple[str | None, dict[str, object]]:
    """The member's form step and data, as the bot keeps them."""
    assert app.runtime is not None
    storage, key = app.runtime.fsm_storage, fsm_key(app, user)
    return await storage.get_state(key), dict(await storage.get_data(key))


async def tap(
    app: BotUnderTest,
    user: SandboxUser,
    watch: Watch,
    button: str,
    message: BotOutput | None = None,
) -> list[BotOutput]:
    """Press ``button`` (on the latest message with buttons by default); the bot's answers."""
    user.drain()
    watch.clear()
    await user.press(button, message)
    outputs = await settle(app, user)
    check_clean(watch, outputs, f"[{button}]")
    return outputs


def texts(outputs: list[BotOutput]) -> str:
    return "\n".join(output.text for output in outputs)
