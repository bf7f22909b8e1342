"""Order notifications, queued in the outbox in the transaction of the transition itself.

Each recipient gets the card in their own language with the buttons of what they may do next.
Dedupe keys are ``order:<id>:v<version>:<what>:m<member>``: one transition, one message each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import Markup, file_id_payload, message_payload
from bot.domain.order_workflow import Action, Part, available_actions
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.order_view import load_view, order_people
from bot.views.orders import OrderView, action_keyboard, card_text
from bot.views.safe import user_text
from storage.models import Member, OrderRequest
from storage.repositories import orders as repo
from storage.repositories import outbox

CAPTION_LIMIT = 1024


def _payload(text: str, markup: Markup, attachment: dict[str, Any] | None) -> dict[str, Any]:
    """The card as a message, or as the caption of the delivered file when it fits one."""
    if attachment and attachment.get("file_id") and len(text) <= CAPTION_LIMIT:
        method = "send_photo" if attachment.get("kind") == "photo" else "send_document"
        return file_id_payload(method, str(attachment["file_id"]), text, markup)
    return message_payload(text, markup)


async def queue_card(
    session: AsyncSession,
    org: OrgConfig,
    view: OrderView,
    recipient: Member,
    *,
    headline_key: str,
    what: str,
    now: datetime,
    parts: frozenset[Part] = frozenset(),
    params: dict[str, Any] | None = None,
    attachment: dict[str, Any] | None = None,
    priority: int = Priority.NOTICE,
    dedupe_key: str | None = None,
) -> bool:
    """The order's card under a headline, with buttons for ``parts`` the recipient plays."""
    if not recipient.active:
        return False
    t = Translator(recipient.locale)
    order = view.order
    headline = t(headline_key, number=order.id, **(params or {}))
    text = f"{headline}\n\n{card_text(org, view, t)}"
    markup = action_keyboard(order, available_actions(order.status, parts), t) if parts else None
    key = dedupe_key or f"order:{order.id}:v{order.version}:{what}:m{recipient.id}"
    return await outbox.enqueue(
        session,
        dedupe_key=key,
        chat_id=recipient.telegram_id,
        kind=f"order_{what}",
        payload=_payload(text, markup, attachment),
        priority=priority,
        now=now,
    )


async def notify_transition(
    session: AsyncSession,
    org: OrgConfig,
    order: OrderRequest,
    action: Action,
    actor: Member | None,
    *,
    note: str | None,
    attachment: dict[str, Any] | None,
    now: datetime,
) -> int:
    """Tell whoever the transition concerns; returns how many messages were queued."""
    people = await order_people(session, order)
    view = await load_view(session, order, people)
    managers = list(await repo.department_managers(session, order.department_id))
    requester = people.get(order.requester_id) if order.requester_id else None
    assignee = people.get(order.assignee_id) if order.assignee_id else None
    params = {
        "actor": user_text(actor.full_name) if actor else "—",
        "note": user_text(note or (attachment or {}).get("name") or ""),
    }
    targets: list[tuple[Member, frozenset[Part]]] = []
    if action is Action.SUBMIT:
        targets = [(m, frozenset({Part.MANAGER})) for m in managers]
    elif action in (Action.APPROVE, Action.REJECT, Action.START) and requester:
        targets = [(requester, frozenset({Part.REQUESTER}))]
    elif action is Action.ASSIGN:
        if assignee:
            targets.append((assignee, frozenset({Part.ASSIGNEE})))
        if requester and requester is not assignee:
            targets.append((requester, frozenset({Part.REQUESTER})))
    elif action is Action.DELIVER and requester:
        targets = [(requester, frozenset({Part.REQUESTER}))]
    elif action in (Action.ACCEPT, Action.REOPEN) and assignee:
        targets = [(assignee, frozenset({Part.ASSIGNEE}))]
    elif action is Action.CANCEL:
        targets = [(m, frozenset()) for m in managers]
        if assignee:
            targets.append((assignee, frozenset()))
    queued = 0
    for recipient, parts in targets:
        if actor is not None and recipient.id == actor.id:
            continue  # the actor already sees the result as the reply
        queued += await queue_card(
            session,
            org,
            view,
            recipient,
            headline_key=f"order.notify.{action.value}",
            what=action.value,
            now=now,
            parts=parts,
            params=params,
            attachment=attachment if action is Action.DELIVER else None,
        )
    return queued
