"""What the bot says when a command is typed in the middle of a form: where the member still
is and how to go on, the leave-or-keep question before a command that opens another form, and
the answer to an unknown command."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.views.safe import user_text

LEAVE, KEEP = "leave", "keep"
COMMAND_SHOWN = 40  # characters of a typed command repeated back


class FormSwitchCallback(CallbackData, prefix="fsw"):
    token: str  # the question the button belongs to (kept in the FSM data until answered)
    choice: str  # leave | keep


@dataclass(frozen=True)
class FormPlace:
    """Where a member stands in a form: ``form`` names what they are doing (``forms.what.*``),
    ``step`` how to go on (``forms.how.*``), ``subject`` what it is about (a store and day,
    a request type, a file name, a request number)."""

    form: str
    step: str
    subject: str = ""


def _command(text: str) -> str:
    return user_text(" ".join(text.split()), COMMAND_SHOWN)


def _what(place: FormPlace, t: Translator) -> str:
    return t(f"forms.what.{place.form}", subject=user_text(place.subject))


def still_here_text(place: FormPlace, t: Translator) -> str:
    """One line after a command that left the form as it was."""
    return t("forms.still", what=_what(place, t), how=t(f"forms.how.{place.step}"))


def kept_text(place: FormPlace, t: Translator) -> str:
    return t("forms.switch.kept") + "\n" + still_here_text(place, t)


def switch_question(
    place: FormPlace, command: str, token: str, t: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """Leave the form in progress to run ``command`` (which opens another), or keep it."""
    shown = _command(command)
    text = t("forms.switch.ask", what=_what(place, t), command=shown)

    def button(label: str, choice: str) -> list[InlineKeyboardButton]:
        data = FormSwitchCallback(token=token, choice=choice).pack()
        return [InlineKeyboardButton(text=label, callback_data=data)]

    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            button(t("forms.switch.leave", command=" ".join(command.split())[:32]), LEAVE),
            button(t("forms.switch.keep"), KEEP),
        ]
    )
    return text, keyboard


def unknown_command_text(command: str, example: str, t: Translator) -> str:
    """A bare "/" or a command the bot does not have, with one it does as an example."""
    return t("forms.unknown_command", command=_command(command), example=example)
