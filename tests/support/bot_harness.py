"""The real bot (dispatcher, middlewares, SQL FSM storage) against the sandbox Bot API server over
HTTP, started and restarted over one test database.

``mode="polling"`` (default): the bot polls the sandbox. ``mode="webhook"``: the runtime in
webhook mode behind the real HTTP app on a free local port, registered with the sandbox's
setWebhook, so the sandbox POSTs every update to ``/telegram/webhook`` (the port is kept across
restarts, so updates sent while the bot is down are redelivered once it is back).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from bot.api import ApiServer, build_api
from bot.api.routes_webhook import WEBHOOK_PATH, WebhookTarget
from bot.app import BotOptions, BotRuntime, create_bot, used_update_types
from bot.clock import FrozenClock
from bot.org.loader import load_org
from bot.org.sync import sync_org
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.services.onboarding import InviteRequest, create_invite
from storage.database import Database
from storage.models import Invite, Member, Store
from storage.repositories.members import member_stores
from support.databases import DatabaseSpec

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"
WEBHOOK_SECRET = "harness-webhook-secret"
Mode = Literal["polling", "webhook"]
MODES: tuple[Mode, ...] = ("polling", "webhook")


class BotUnderTest:
    """Starts, stops and restarts the bot over one database, and reads its state back."""

    def __init__(
        self,
        sandbox: SandboxServer,
        spec: DatabaseSpec,
        clock: FrozenClock,
        options: BotOptions | None = None,
        mode: Mode = "polling",
        *,
        register_webhook: bool = True,
    ) -> None:
        self.sandbox = sandbox
        # Jobs and delivery are driven by hand in most tests (run_job, OutboxSender.drain_once).
        self.options = options or BotOptions(
            polling_timeout=1, run_scheduler=False, deliver_outbox=False
        )
        if self.options.mode != mode:
            self.options = dataclasses.replace(self.options, mode=mode)
        self.mode = mode
        # False: serve the webhook without telling the sandbox (tests POST updates themselves,
        # or another BotUnderTest on the same database is the one registered).
        self.register_webhook = register_webhook
        self.api: ApiServer | None = None
        self.port = 0  # the webhook's port, chosen on the first start
        self.spec = spec
        self.clock = clock
        self.org = load_org(DEMO_ORG)
        self.database: Database | None = None
        self.runtime: BotRuntime | None = None
        self.starts = 0

    @property
    def db(self) -> Database:
        assert self.database is not None, "bot is not running"
        return self.database

    async def start(self) -> None:
        self.database = await self.spec.open()
        async with self.database.session_factory() as session, session.begin():
            await sync_org(session, self.org)
        self.runtime = BotRuntime(
            bot=create_bot(SANDBOX_TOKEN, self.sandbox.base_url),
            database=self.database,
            clock=self.clock,
            org=self.org,
            options=self.options,
        )
        await self.runtime.start()
        if self.mode == "webhook":
            await self._serve_webhook(self.runtime)
        self.starts += 1

    async def _serve_webhook(self, runtime: BotRuntime) -> None:
        target = WebhookTarget(runtime.feed_webhook_update, WEBHOOK_SECRET)
        app = build_api(runtime.database.session_factory, self.org, self.clock, webhook=target)
        self.api = ApiServer(app, "127.0.0.1", self.port)
        await self.api.start()
        self.port = self.api.port
        if not self.register_webhook:
            return
        await runtime.bot.set_webhook(
            self.webhook_url,
            secret_token=WEBHOOK_SECRET,
            allowed_updates=used_update_types(),
        )

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def settled(self, timeout: float = 10.0) -> None:
        """Until every update sent so far is over. A webhook update replies before it commits
        (its one transaction); long polling commits before announcing a result."""
        if self.mode == "webhook":
            await self.sandbox.webhook_idle(timeout)

    async def stop(self) -> None:
        if self.api is not None:
            await self.api.stop()
            self.api = None
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        if self.database is not None:
            await self.database.close()
            self.database = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def invite(
        self, role: Role, department: str | None = None, stores: tuple[str, ...] = ()
    ) -> str:
        """An invite created the way `opsbot invite` does; returns its token."""
        request = InviteRequest(role=role, department_code=department, store_codes=stores)
        async with self.db.session_factory() as session, session.begin():
            invite = await create_invite(session, request, inviter=None, now=self.clock.now())
        return invite.token

    async def member(self, telegram_id: int) -> Member | None:
        async with self.db.session_factory() as session:
            return await session.scalar(select(Member).where(Member.telegram_id == telegram_id))

    async def member_store_codes(self, telegram_id: int) -> set[str]:
        member = await self.member(telegram_id)
        assert member is not None
        async with self.db.session_factory() as session:
            return {s.code for s in await member_stores(session, member.id)}

    async def invite_row(self, token: str) -> Invite | None:
        async with self.db.session_factory() as session:
            return await session.scalar(select(Invite).where(Invite.token == token))

    async def count_members(self) -> int:
        async with self.db.session_factory() as session:
            return len((await session.scalars(select(Member))).all())

    async def store_codes(self) -> set[str]:
        async with self.db.session_factory() as session:
            return {s.code for s in (await session.scalars(select(Store))).all()}

    async def join(
        self,
        user: SandboxUser,
        role: Role,
        department: str | None = None,
        stores: tuple[str, ...] = (),
    ) -> None:
        token = await self.invite(role, department, stores)
        await user.send(f"/start {token}")
        reply = await user.next_message()
        assert "Chào mừng" in reply.text or "Welcome" in reply.text, reply.text


def forge_callback(sandbox: SandboxServer, user: SandboxUser, message_id: int, data: str) -> str:
    """A callback query with arbitrary data, as a tampered client could send."""
    message = sandbox.message(user.user_id, message_id)
    assert message is not None
    account = sandbox.store.accounts[user.user_id]
    query_id = sandbox.store.new_callback(user.user_id, user.user_id, message_id, data)
    sandbox.push_update(
        "callback_query",
        {
            "id": query_id,
            "from": account.to_json(),
            "message": message,
            "chat_instance": "forged",
            "data": data,
        },
    )
    return query_id
