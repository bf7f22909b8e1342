"""The one way an act on an order is done from chat, whether a button alone asks for it or a
button and then a typed reason or a delivered file: act, say why not or commit, then show the
actor the card as it is now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.types import Message

from bot.domain.order_workflow import Action
from bot.services import orders as service
from bot.services.order_view import load_view
from bot.views import orders as views
from handlers.context import Ctx
from storage.models import OrderRequest


@dataclass(frozen=True)
class Act:
    """One act on an order as the member asked for it, at the version they saw."""

    order_id: int
    action: Action
    version: int
    note: str | None = None
    attachment: dict[str, Any] | None = None
    assignee_id: int | None = None

    def pending(self) -> dict[str, Any]:
        """What a prompt keeps in the form state until the answer comes."""
        return {"order_id": self.order_id, "version": self.version, "action": self.action.value}

    @classmethod
    def from_pending(cls, pending: dict[str, Any]) -> Act | None:
        try:
            action = Action(str(pending.get("action")))
            return cls(int(pending["order_id"]), action, int(pending["version"]))
        except (KeyError, TypeError, ValueError):
            return None


async def perform(message: Message, ctx: Ctx, act: Act) -> bool:
    """Do ``act``; say why not, or commit and show the actor the result. True if it was done."""
    outcome = await service.act(
        ctx.session,
        ctx.org,
        actor=ctx.member,
        order_id=act.order_id,
        action=act.action,
        version=act.version,
        now=ctx.now(),
        note=act.note,
        attachment=act.attachment,
        assignee_id=act.assignee_id,
    )
    if not outcome.ok or outcome.order is None:
        # Nothing was written.
        await message.answer(views.refusal_text(outcome, ctx.org, act.order_id, ctx.t))
        return False
    await ctx.save_before_announcing()  # the transition and its notifications exist first
    await _announce(message, ctx, outcome.order, act.action)
    return True


async def _announce(message: Message, ctx: Ctx, order: OrderRequest, action: Action) -> None:
    """The actor's own result: the card as it is now, with what they may do next."""
    view = await load_view(ctx.session, order)
    actions = service.next_actions(order, ctx.member)
    text = views.result_text(ctx.org, view, action, ctx.t)
    await message.answer(text, reply_markup=views.action_keyboard(order, actions, ctx.t))
