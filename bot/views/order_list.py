"""Texts and keyboards of /orders: the tabs, one line per request, paging."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.records import OrderRow
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.orders import VIEW, OrderCallback, local_text, status_text, type_name
from bot.views.safe import user_text


class OrdersTabCallback(CallbackData, prefix="ol"):
    tab: str
    page: int = 0


def order_line(org: OrgConfig, order: OrderRow, t: Translator) -> str:
    deadline = local_text(order.deadline, org.tz) if order.deadline else "—"
    return t(
        "order.list.line",
        number=order.id,
        title=type_name(org, order, t) if order.kind == "order" else user_text(order.title),
        status=status_text(order.status, t),
        deadline=deadline,
    )


def list_text(
    org: OrgConfig, tab: str, page: int, orders: Sequence[OrderRow], t: Translator
) -> str:
    header = t("order.list.header", tab=t(f"order.tab.{tab}"), page=page + 1)
    if not orders:
        return f"{header}\n{t('order.list.empty')}"
    return "\n".join([header, *(order_line(org, o, t) for o in orders)])


def list_keyboard(
    tabs: Sequence[str],
    tab: str,
    page: int,
    has_next: bool,
    orders: Sequence[OrderRow],
    t: Translator,
) -> InlineKeyboardMarkup:
    tab_row = [
        InlineKeyboardButton(
            text=("• " if name == tab else "") + t(f"order.tab.{name}"),
            callback_data=OrdersTabCallback(tab=name, page=0).pack(),
        )
        for name in tabs
    ]
    rows = [tab_row[i : i + 2] for i in range(0, len(tab_row), 2)]
    open_buttons = [
        InlineKeyboardButton(
            text=f"#{order.id}",
            callback_data=OrderCallback(a=VIEW, o=order.id, v=order.version).pack(),
        )
        for order in orders
    ]
    rows += [open_buttons[i : i + 4] for i in range(0, len(open_buttons), 4)]
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text="◀️", callback_data=OrdersTabCallback(tab=tab, page=page - 1).pack()
            )
        )
    if has_next:
        paging.append(
            InlineKeyboardButton(
                text="▶️", callback_data=OrdersTabCallback(tab=tab, page=page + 1).pack()
            )
        )
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(inline_keyboard=rows)
