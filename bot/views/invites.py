"""Joining: the /invite form (role, department and store buttons), the new invite, and the
answers of /start."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.records import DepartmentRow, MemberRow
from bot.i18n import Translator
from bot.views.common import department_name, member_title
from bot.views.safe import user_params, user_text

Rows = list[list[InlineKeyboardButton]]


class InviteCallback(CallbackData, prefix="inv"):
    step: str  # role | dept | store | done | cancel
    value: str = ""


def _button(text: str, step: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=InviteCallback(step=step, value=value).pack()
    )


def _with_cancel(rows: Rows, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_button(t("button.cancel"), "cancel")]])


def roles_keyboard(roles: Iterable[str], t: Translator) -> InlineKeyboardMarkup:
    """One button per role the inviter may invite (``roles``: their values)."""
    return _with_cancel([[_button(t(f"role.{role}"), "role", str(role))] for role in roles], t)


def departments_keyboard(
    departments: Sequence[DepartmentRow], t: Translator
) -> InlineKeyboardMarkup:
    rows = [[_button(department_name(d, t), "dept", d.code)] for d in departments]
    return _with_cancel(rows, t)


def stores_keyboard(
    codes: Sequence[str], chosen: Sequence[str], t: Translator
) -> InlineKeyboardMarkup:
    """One toggle per store of the department (✅ chosen), then Done."""
    rows = [[_button(("✅ " if code in chosen else "▫️ ") + code, "store", code)] for code in codes]
    rows.append([_button(t("button.done"), "done")])
    return _with_cancel(rows, t)


def invite_text(
    *,
    role: str,
    department: DepartmentRow | None,
    store_codes: Sequence[str],
    link: str,
    token: str,
    expires_at: datetime,
    tz: tzinfo,
    t: Translator,
) -> str:
    """The new invite: who it is for, the link to forward, and until when it works."""
    return t(
        "invite.created",
        role=t(f"role.{role}"),
        department=department_name(department, t),
        stores=", ".join(store_codes) or "—",
        link=link,
        token=token,
        expires=expires_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
    )


def refusal_text(key: str, params: dict[str, object], t: Translator) -> str:
    """Why no invite was made, followed by how to ask."""
    return t(key, **user_params(params, limit=None)) + "\n\n" + t("invite.usage")


def stores_chosen_text(codes: Sequence[str], t: Translator) -> str:
    return t("invite.stores_chosen", stores=", ".join(codes) or "—")


# --- /start ------------------------------------------------------------------------------------


def greeting_text(key: str, member: MemberRow, t: Translator) -> str:
    """A member greeted by name and title (welcome back, registered, already a member)."""
    return t(key, name=user_text(member.full_name), title=member_title(member, t))


def join_refusal_text(key: str, params: dict[str, object], t: Translator) -> str:
    """Why the invite did not work, followed by how to join."""
    return t(key, **user_params(params, limit=None)) + "\n\n" + t("start.how_to_join")
