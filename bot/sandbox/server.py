"""A local HTTP server speaking the Telegram Bot API, for end-to-end tests and `opsbot demo`.

Point aiogram at it with `TelegramAPIServer.from_base(server.base_url)`. It answers like
Telegram does, errors included, so that mistakes such as an over-long callback_data or broken
HTML fail here rather than in production. The bot takes updates with getUpdates, or sets a
webhook and has them POSTed to it (bot/sandbox/webhook.py), as with Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from aiohttp import web

from bot.sandbox.faults import Fault, FaultInjector
from bot.sandbox.html_check import clean_text
from bot.sandbox.methods import MAX_DOCUMENT_BYTES, BotApi, Handler, canonical
from bot.sandbox.models import (
    ApiError,
    Arrival,
    ChatEvent,
    Described,
    EventKind,
    Json,
    SandboxAccount,
    SandboxChat,
    Upload,
    bad_request,
    guess_mime,
)
from bot.sandbox.store import ChatStore, Listener, command_entities
from bot.sandbox.validation import Params, find_button
from bot.sandbox.webhook import WebhookDeliverer, WebhookDelivery

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1234567890:SANDBOX-offline-token-for-tests-only"
# What Telegram's front proxy answers when the backend is down: HTML, not JSON.
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Parameters that form-encoded requests carry as JSON text.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
    }
)
Call = tuple[str, Json]


class SandboxServer:
    """Bot API server with in-memory users, chats, files and scripted faults."""

    def __init__(
        self,
        token: str = SANDBOX_TOKEN,
        bot_username: str = "opsbot_sandbox_bot",
        bot_id: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_name: str = "Opsbot Sandbox",
        seed: int | None = None,
        now: Callable[[], float] = time.time,
        webhook_timeout: float = 10.0,
        webhook_retry_base: float = 0.1,
        webhook_retry_cap: float = 5.0,
        webhook_chat_queues: bool = True,
    ) -> None:
        """`webhook_*`: how long a webhook POST may take, the first retry delay (doubled on
        each further failure up to the cap), and whether one chat's updates travel one at a
        time as Telegram sends them (False: every update on its own, to provoke races)."""
        self._token = token
        self.bot_id = bot_id if bot_id is not None else _id_from_token(token)
        self.bot_username = bot_username
        self.bot_user: Json = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.host = host
        self.port = port
        self.faults = FaultInjector(seed)
        self.calls: list[Call] = []
        # Every call with its arrival time, answered or refused: Telegram's limits count both.
        self.arrivals: list[Arrival] = []
        self._now = now
        self.store = ChatStore(self.bot_user, now)
        self._closing = asyncio.Event()
        self.webhook = WebhookDeliverer(
            self.store,
            now,
            timeout=webhook_timeout,
            retry_base=webhook_retry_base,
            retry_cap=webhook_retry_cap,
            chat_queues=webhook_chat_queues,
            run_reply=self._run_webhook_reply,
        )
        self.api = BotApi(self.store, self.bot_user, self._closing, self.webhook)
        self.store.on_update = self._on_update
        self.store.on_drain = self.webhook.store_changed
        # (scope as canonical JSON, language_code) -> commands, as set by setMyCommands
        self.commands = self.api.commands
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self.api.handlers().items()
        }

    # lifecycle

    @property
    def token(self) -> str:
        return self._token

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # A short grace period: long polls are woken by stop(), nothing else waits long.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner
        self._closing.clear()
        self.webhook.reopen()
        log.info("sandbox Bot API listening on %s", self.base_url)

    async def stop(self) -> None:
        self._closing.set()
        self.api.wake_poller()
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _on_update(self) -> None:
        self.api.wake_poller()
        self.webhook.wake()

    # webhook delivery, for tests

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook POST so far, oldest first: (update_id, HTTP status or error text,
        started, finished) on the event loop's clock."""
        return self.webhook.deliveries

    async def webhook_idle(self, timeout: float = 10.0) -> None:
        """Return once no update is queued or in flight (the bot acknowledged everything);
        raise TimeoutError after `timeout` seconds."""
        await self.webhook.idle(timeout)

    def lose_next_webhook_responses(self, count: int = 1) -> None:
        """The next `count` webhook answers are thrown away after the bot sent them: the bot
        did the work, the sandbox sees a failure and delivers the update again."""
        self.webhook.lose_next_responses(count)

    async def _run_webhook_reply(self, method: str, values: Json) -> None:
        """A Bot API call the bot answered its webhook request with: Telegram runs it."""
        entry = self._methods.get(method.lower())
        if entry is None:
            return
        name, handler = entry
        uploads = {key: value for key, value in values.items() if isinstance(value, Upload)}
        plain = {key: value for key, value in values.items() if key not in uploads}
        values = _resolve(plain, uploads)
        arrival = Arrival(self._now(), name, _chat_id(values))
        self.arrivals.append(arrival)
        self.calls.append((name, values))
        try:
            await handler(Params(values))
        except ApiError as exc:
            arrival.status = exc.code
            raise
        arrival.status = 200

    # the world, for tests and the demo

    def register_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "vi",
        last_name: str | None = None,
    ) -> SandboxAccount:
        """A Telegram account with its private chat (chat id = user id)."""
        account = SandboxAccount(user_id, first_name, username, language_code, last_name)
        self.store.register_user(account)
        return account

    def register_group(self, chat_id: int, title: str) -> SandboxChat:
        return self.store.register_group(chat_id, title)

    def block_user(self, user_id: int) -> None:
        """The user blocks the bot: sending to them fails with 403 until they write again."""
        self.store.blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self.store.blocked.discard(user_id)

    def add_listener(self, callback: Listener) -> None:
        """`callback(ChatEvent)` for every message, press, edit and answer; may be async."""
        self.store.add_listener(callback)

    def remove_listener(self, callback: Listener) -> None:
        self.store.remove_listener(callback)

    def messages(self, chat_id: int) -> list[Json]:
        """Current state of every message in a chat (edits applied, deletions gone)."""
        return copy.deepcopy(self.store.messages(chat_id))

    def message(self, chat_id: int, message_id: int) -> Json | None:
        found = self.store.message(chat_id, message_id)
        return copy.deepcopy(found) if found is not None else None

    def file_bytes(self, file_id: str) -> bytes:
        return self.store.files[file_id].content

    def reply_keyboard(self, chat_id: int) -> list[list[str]]:
        """The reply keyboard the bot last attached in this chat ([] when none)."""
        return [list(row) for row in self.store.reply_keyboards.get(chat_id, [])]

    def calls_to(self, method: str) -> list[Json]:
        """Parameters of every call to `method` (case-insensitive), oldest first."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def visible_commands(self, chat_id: int, language_code: str | None = None) -> list[Json]:
        """The command menu a chat would show, resolved through scopes and languages."""
        chat = self.store.chats[chat_id]
        if language_code is None and chat.account is not None:
            language_code = chat.account.language_code
        wide = "all_private_chats" if chat.type == "private" else "all_group_chats"
        scopes = [{"chat_id": chat_id, "type": "chat"}, {"type": wide}, {"type": "default"}]
        for scope in scopes:
            key = canonical(scope)
            for lang in (language_code or "", ""):
                if (key, lang) in self.commands:
                    return copy.deepcopy(self.commands[(key, lang)])
        return []

    def push_update(self, kind: str, payload: Json) -> Json | None:
        """Queue any update (e.g. my_chat_member) for the bot's next getUpdates."""
        return self.store.push_update(kind, payload)

    # what users do

    def send_user_message(self, user_id: int, text: str, chat_id: int | None = None) -> Json:
        """A user writes `text`; /commands get their bot_command entity like in Telegram, which
        cleans what people send as it cleans what bots send (a NUL arrives as a space)."""
        text = clean_text(text)
        account, chat = self._sender(user_id, chat_id)
        content: Json = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        message = self.store.add_message(chat, account.to_json(), content)
        self.store.push_update("message", copy.deepcopy(message))
        self._emit_user("user_text", account, chat, message, text=text)
        return copy.deepcopy(message)

    def send_user_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        mime_type: str | None = None,
        chat_id: int | None = None,
    ) -> Json:
        account, chat = self._sender(user_id, chat_id)
        stored = self.store.add_file(
            "document", content, filename, guess_mime(filename, mime_type), Path(filename).suffix
        )
        body: Json = {"document": stored.document_json()}
        if caption:
            caption = clean_text(caption)
            body["caption"] = caption
        message = self.store.add_message(chat, account.to_json(), body)
        self.store.push_update("message", copy.deepcopy(message))
        self._emit_user(
            "user_document",
            account,
            chat,
            message,
            text=caption or "",
            file_name=filename,
            data=content,
        )
        return copy.deepcopy(message)

    def press_button(self, user_id: int, chat_id: int, message_id: int, button_text: str) -> str:
        """A user presses an inline button; returns the callback query id.

        Raises LookupError naming the buttons that exist when there is no such button.
        """
        account, chat = self._sender(user_id, chat_id)
        message = self.store.message(chat.id, message_id)
        if message is None:
            raise LookupError(f"message {message_id} does not exist in chat {chat.id}")
        button = find_button(message, button_text)
        if "callback_data" not in button:
            raise LookupError(f"button {button_text!r} is not a callback button: {button}")
        query_id = self.store.new_callback(account.id, chat.id, message_id, button["callback_data"])
        query: Json = {
            "id": query_id,
            "from": account.to_json(),
            "message": copy.deepcopy(message),
            "chat_instance": f"{chat.id}{self.bot_id}",
            "data": button["callback_data"],
        }
        self.store.push_update("callback_query", query)
        self._emit_user("button_press", account, chat, message, text=button_text, raw=query)
        return query_id

    def _sender(self, user_id: int, chat_id: int | None) -> tuple[SandboxAccount, SandboxChat]:
        account = self.store.accounts.get(user_id)
        if account is None:
            raise ValueError(f"user {user_id} is not registered in the sandbox")
        chat = self.store.chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise ValueError(f"chat {chat_id} is not registered in the sandbox")
        if chat.type == "private" and chat.id != user_id:
            raise ValueError(f"user {user_id} cannot write in the private chat {chat.id}")
        # Writing to a bot you blocked unblocks it, as the Telegram apps do.
        self.store.blocked.discard(user_id)
        return account, chat

    def _emit_user(
        self,
        kind: EventKind,
        account: SandboxAccount,
        chat: SandboxChat,
        message: Json,
        *,
        text: str,
        file_name: str | None = None,
        data: bytes | None = None,
        raw: Json | None = None,
    ) -> None:
        event = ChatEvent(
            kind=kind,
            chat_id=chat.id,
            user=account.display_name,
            text=text,
            file_name=file_name,
            message_id=message["message_id"],
            user_id=account.id,
            data=data,
            raw=copy.deepcopy(raw if raw is not None else message),
        )
        self.store.emit(event)

    # HTTP

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self._token:
            return _error_response(ApiError(401, "Unauthorized"))
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _error_response(ApiError(404, "Not Found: method not found"))
        name, handler = entry
        arrived = self._now()
        try:
            values = await _read_params(request)
        except ApiError as exc:
            return _error_response(exc)
        arrival = Arrival(arrived, name, _chat_id(values))
        self.arrivals.append(arrival)
        self.calls.append((name, values))
        log.debug("bot called %s", name)
        response = await self._answer(name, handler, values, request)
        arrival.status = response.status
        return response

    async def _answer(
        self, name: str, handler: Handler, values: Json, request: web.Request
    ) -> web.StreamResponse:
        fault = self.faults.pick(name)
        if fault is not None:
            response = await self._apply_fault(fault, request)
            if response is not None:
                return response
        try:
            result = await handler(Params(values))
        except ApiError as exc:
            log.debug("%s rejected: %s", name, exc.description)
            return _error_response(exc)
        if isinstance(result, Described):
            body: Json = {"ok": True, "result": result.result, "description": result.description}
            return web.json_response(body)
        return web.json_response({"ok": True, "result": result})

    def arrivals_of(self, method: str) -> list[Arrival]:
        """Every call to ``method`` (case-insensitive) as it arrived, refused ones included."""
        return [a for a in self.arrivals if a.method.lower() == method.lower()]

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self._token:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self.store.file_by_path(request.match_info["path"])
        if stored is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.content, content_type=stored.mime_type)

    async def _apply_fault(self, fault: Fault, request: web.Request) -> web.StreamResponse | None:
        log.debug("injecting fault %s", fault.kind)
        if fault.kind == "429":
            seconds = fault.retry_after
            return _error_response(
                ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
            )
        if fault.kind == "500":
            return _error_response(ApiError(500, "Internal Server Error"))
        if fault.kind == "502":
            return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
        await self._pause(fault.delay)
        if fault.kind == "slow":
            return None
        # "timeout": the request hangs, then the connection drops without an answer.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=504)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)


def _chat_id(values: Json) -> int | None:
    try:
        return int(values["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _id_from_token(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 1234567890


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


async def _read_params(request: web.Request) -> Json:
    """Query string plus a JSON, urlencoded or multipart body, with `attach://` resolved."""
    values: Json = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    uploads[key] = Upload(value.filename, content, value.content_type)
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode("utf-8", "replace")
                else:
                    values[key] = value
    return _resolve(values, uploads)


def _resolve(values: Json, uploads: dict[str, Upload]) -> Json:
    attached: set[str] = set()
    for key, value in list(values.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name in uploads:
                values[key] = uploads[name]
                attached.add(name)
        elif key in JSON_FIELDS and isinstance(value, str):
            try:
                values[key] = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {key} JSON object") from None
    # A file sent directly under the parameter's own name (curl -F photo=@x.png).
    for name, upload in uploads.items():
        if name not in attached:
            values.setdefault(name, upload)
    return values
