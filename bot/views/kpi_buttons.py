"""The buttons of /kpi, /me and /dept: period switch, drill-down, back, and the pick lists.

Every button carries its view (``v``), the subject id (``i``) and the period code (``p``);
the handler resolves them against the presser's scope again on arrival.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.kpi_results import Target
from bot.domain.records import BrandRow, DepartmentRow, StoreRef
from bot.domain.search import Match
from bot.i18n import Translator
from bot.views.kpi import department_label

MAX_DRILL_BUTTONS = 12
MAX_PICK_STORES = 8
MAX_PICK_BUTTONS = 24

Choice = tuple[str, str, int]  # button text, view, subject id


class KpiCallback(CallbackData, prefix="kpi"):
    v: str  # s store | b brand | a all | d dept | m me | c campaign | p channel (platform)
    i: int = 0  # store / brand / department / campaign id, a channel's ``platform_id``
    p: str = "m"  # m month | w week | YYYY-MM


def _button(text: str, v: str, i: int = 0, p: str = "m") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=KpiCallback(v=v, i=i, p=p).pack())


def _pairs(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def period_row(v: str, i: int, code: str, t: Translator) -> list[InlineKeyboardButton]:
    """Week / month switch; ``code`` is the shown period ("w", "m" or "YYYY-MM")."""
    row = []
    for option, key in (("w", "kpi.button.week"), ("m", "kpi.button.month")):
        text = t(key)
        if option == code:
            text = "• " + text
        row.append(_button(text, v, i, option))
    return row


def view_keyboard(
    target: Target,
    code: str,
    t: Translator,
    drill: Sequence[Choice] = (),
) -> InlineKeyboardMarkup:
    """Period switch, drill-down buttons (text, view, id), and back to the parent view."""
    v = {"store": "s", "brand": "b", "all": "a", "dept": "d", "channel": "p"}[target.kind]
    rows = [period_row(v, target.id, code, t)]
    rows += _pairs([_button(text, dv, di, code) for text, dv, di in drill[:MAX_DRILL_BUTTONS]])
    if target.parent is not None:
        parent_v = {"brand": "b", "all": "a"}[target.parent[0]]
        rows.append([_button(t("kpi.button.back"), parent_v, target.parent[1], code)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def target_keyboard(
    target: Target, code: str, t: Translator, brands: Sequence[BrandRow]
) -> InlineKeyboardMarkup:
    """Under a chart of stores: a brand or department drills down to its stores, everything
    to the visible ``brands``, a store to nothing."""
    drill: list[Choice] = []
    if target.kind in ("brand", "dept", "channel"):
        drill = [(f"🏪 {s.code}", "s", s.id) for s in target.stores]
    elif target.kind == "all":
        drill = [(f"🏷 {b.code}", "b", b.id) for b in brands]
    return view_keyboard(target, code, t, drill)


def choice_keyboard(choices: Sequence[Choice], period_code: str) -> InlineKeyboardMarkup:
    buttons = [_button(text, v, i, period_code) for text, v, i in choices]
    return InlineKeyboardMarkup(inline_keyboard=_pairs(buttons))


def pick_keyboard(
    brands: Sequence[BrandRow], stores: Sequence[StoreRef], period_code: str, t: Translator
) -> InlineKeyboardMarkup:
    """ "/kpi" alone: everything, each brand, and the stores when there are few."""
    choices: list[Choice] = [(t("kpi.button.all"), "a", 0)]
    choices += [(f"🏷 {brand.code} · {brand.name}"[:60], "b", brand.id) for brand in brands]
    if len(stores) <= MAX_PICK_STORES:
        choices += [(f"🏪 {s.code}", "s", s.id) for s in stores]
    return choice_keyboard(choices[:MAX_PICK_BUTTONS], period_code)


def matches_keyboard(matches: Sequence[Match], period_code: str) -> InlineKeyboardMarkup:
    """Stores and brands that all match what was typed, one button each."""
    choices = [
        (f"{m.candidate.code} · {m.candidate.name}"[:60], m.candidate.kind[0], m.candidate.id)
        for m in matches[:MAX_PICK_BUTTONS]
    ]
    return choice_keyboard(choices, period_code)


def departments_keyboard(
    departments: Sequence[DepartmentRow], period_code: str, t: Translator
) -> InlineKeyboardMarkup:
    choices = [(department_label(d, t), "d", d.id) for d in departments]
    return choice_keyboard(choices, period_code)


def department_matches_keyboard(matches: Sequence[Match], period_code: str) -> InlineKeyboardMarkup:
    return choice_keyboard([(m.candidate.name, "d", m.candidate.id) for m in matches], period_code)


def me_keyboard(code: str, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[period_row("m", 0, code, t)])
