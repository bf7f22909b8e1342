"""Webhook delivery as Telegram's Bot API server does it.

While a webhook is set, every queued update is POSTed as JSON to its URL with the secret
header. An update stays in the store's queue until the bot answers 2xx, so
pending_update_count counts queued and in-flight updates, a failed update is sent again
(exponential backoff, or the answer's Retry-After), and deleteWebhook hands whatever is left
back to getUpdates. Like Telegram, the updates of one chat (callback queries: of one user)
travel one at a time in update_id order, while different chats share up to max_connections
parallel requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import json
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import NamedTuple

import aiohttp
from yarl import URL

from bot.sandbox.models import Json, Upload, bad_request
from bot.sandbox.store import ChatStore
from bot.sandbox.validation import Params

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS = 100
MAX_SECRET = 256
MAX_RETRY_AFTER = 3600
CONNECTION_CLOSED = "Webhook connection closed"
READ_TIMEOUT = "Read timeout expired"
_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]*")
# Methods Telegram does not run when the webhook's answer names them.
_NOT_IN_REPLY = frozenset({"deletewebhook", "setwebhook", "close", "logout"})

ReplyRunner = Callable[[str, Json], Awaitable[None]]


class WebhookDelivery(NamedTuple):
    """One POST of an update: `outcome` is the HTTP status the sandbox accepted, or the
    failure as getWebhookInfo words it ("lost 200" for an answer thrown away on purpose by
    `lose_next_webhook_responses`); times are the event loop's monotonic clock."""

    update_id: int
    outcome: int | str
    started: float
    finished: float


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int


@dataclass
class _Retry:
    fails: int = 0
    wakeup_at: float = 0.0


def parse_set_webhook(p: Params) -> WebhookConfig | None:
    """setWebhook's parameters with Telegram's checks; None when the url is empty (delete)."""
    url = (p.text("url") or "").strip()
    if not url:
        return None
    try:
        parsed = URL(url)
    except ValueError:
        raise bad_request("invalid webhook URL specified") from None
    # The sandbox behaves like a Bot API server in --local mode: plain HTTP and any port.
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad_request("invalid webhook URL specified")
    secret = p.text("secret_token") or ""
    if len(secret) > MAX_SECRET:
        raise bad_request("secret token is too long")
    if not _SECRET_CHARS.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    wanted = p.integer("max_connections", "wrong parameter max_connections")
    # Telegram clamps max_connections into its range rather than refusing it.
    limit = DEFAULT_MAX_CONNECTIONS if wanted is None else min(max(wanted, 1), MAX_CONNECTIONS)
    return WebhookConfig(url, secret or None, limit)


class WebhookDeliverer:
    """The webhook's settings, its delivery loop and what happened to each POST."""

    def __init__(
        self,
        store: ChatStore,
        now: Callable[[], float],
        *,
        timeout: float,
        retry_base: float,
        retry_cap: float,
        chat_queues: bool = True,
        run_reply: ReplyRunner | None = None,
    ) -> None:
        self.store = store
        self._now = now
        self.timeout = timeout
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.chat_queues = chat_queues
        self._run_reply = run_reply
        self.config: WebhookConfig | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[WebhookDelivery] = []
        # Told of every POST and its error (None when accepted), e.g. to show it in a terminal.
        self.on_delivery: Callable[[WebhookDelivery, str | None], None] | None = None
        self._lose = 0
        self._retries: dict[int, _Retry] = {}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # The queue as the loop sees it: per chat (or user) the updates not yet acknowledged,
        # heads ready to go by update_id, heads waiting for a retry by due time. Rebuilt from
        # the store when it changed behind our back (drop_pending_updates, allowed_updates).
        self._queues: dict[Hashable, deque[Json]] = {}
        self._ready: list[tuple[int, Hashable]] = []
        self._delayed: list[tuple[float, int, Hashable]] = []
        self._indexed_upto = 0
        self._stale = True
        self._wakeup: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    # state

    @property
    def active(self) -> bool:
        return self.config is not None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def info(self) -> Json:
        """getWebhookInfo's answer."""
        info: Json = {
            "url": self.config.url if self.config else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.store.updates),
        }
        if self.config is None:
            return info
        info["max_connections"] = self.config.max_connections
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        if self.store.allowed_updates is not None:
            info["allowed_updates"] = sorted(self.store.allowed_updates)
        return info

    def lose_next_responses(self, count: int) -> None:
        self._lose += count

    # settings

    async def set(self, config: WebhookConfig) -> bool:
        """Start delivering to `config`; False when exactly this webhook was already set."""
        if config == self.config:
            return False
        moved = self.config is None or (self.config.url, self.config.secret_token) != (
            config.url,
            config.secret_token,
        )
        if moved:
            # Requests already made to the old address are abandoned and sent again; the
            # errors of the old address are not the new one's.
            await self._cancel_in_flight()
            self.last_error_date = self.last_error_message = None
        self.config = config
        self.wake()
        return True

    async def remove(self) -> bool:
        """Stop delivering; what is still queued waits for getUpdates. False if none was set."""
        if self.config is None:
            return False
        self.config = None
        await self._stop_runner()
        await self._cancel_in_flight()
        await self._close_session()
        self._retries.clear()
        self._notify()
        return True

    async def drop_pending(self) -> None:
        await self._cancel_in_flight()
        self._retries.clear()
        self.store.drop_pending()

    # the loop

    def wake(self) -> None:
        """Something changed: a new update, a free connection, a new setting, a drained queue."""
        self._notify()
        if self._wakeup is not None:
            self._wakeup.set()
        if self.config is None or self._closed:
            return
        if self._runner is None or self._runner.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop yet: the first async call will start delivery
            self._wakeup = asyncio.Event()
            self._runner = loop.create_task(self._run(), name="sandbox-webhook")

    def store_changed(self) -> None:
        """Updates left the store other than by delivery: re-read the queue."""
        self._stale = True
        self.wake()

    def reopen(self) -> None:
        self._closed = False
        self.wake()

    async def close(self) -> None:
        """The server stops: end delivery and every request in flight, leave nothing behind."""
        self._closed = True
        await self._stop_runner()
        await self._cancel_in_flight()
        await self._close_session()
        self._notify()

    async def idle(self, timeout: float) -> None:
        """Wait until no update is queued or in flight; TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while self.store.updates or self._in_flight:
                if self._changed is None:
                    self._changed = asyncio.Event()
                await self._changed.wait()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        wakeup = self._wakeup
        assert wakeup is not None
        while self.config is not None:
            wakeup.clear()
            delay = self._launch_ready(loop.time())
            if delay is None:
                await wakeup.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), delay)

    def _launch_ready(self, now: float) -> float | None:
        """Start every update that may go now; seconds until the next retry is due."""
        config = self.config
        if config is None:
            return None
        self._sync_index(now)
        while self._delayed and self._delayed[0][0] <= now:
            _, update_id, key = heapq.heappop(self._delayed)
            heapq.heappush(self._ready, (update_id, key))
        while self._ready and len(self._in_flight) < config.max_connections:
            update_id, key = heapq.heappop(self._ready)
            queue = self._queues.get(key)
            if not queue or queue[0]["update_id"] != update_id or update_id in self._in_flight:
                continue  # left over from before a rebuild
            self._in_flight[update_id] = asyncio.create_task(
                self._deliver(config, queue[0], key), name=f"sandbox-webhook-{update_id}"
            )
        return max(self._delayed[0][0] - now, 0.0) if self._delayed else None

    def _sync_index(self, now: float) -> None:
        updates = self.store.updates
        if self._stale:
            self._stale = False
            self._queues.clear()
            self._ready.clear()
            self._delayed.clear()
            start = 0
        else:
            # New updates are appended with growing ids: only the tail is new.
            start = len(updates)
            while start > 0 and updates[start - 1]["update_id"] > self._indexed_upto:
                start -= 1
        heads: list[Hashable] = []
        for update in updates[start:]:
            key = self._queue_key(update)
            queue = self._queues.setdefault(key, deque())
            if not queue:
                heads.append(key)
            queue.append(update)
        if updates:
            self._indexed_upto = max(self._indexed_upto, updates[-1]["update_id"])
        for key in heads:
            self._schedule_head(key, now)

    def _schedule_head(self, key: Hashable, now: float) -> None:
        """Put the first update of a chat's queue in line, now or when its retry is due."""
        queue = self._queues.get(key)
        if not queue:
            self._queues.pop(key, None)
            return
        update_id = queue[0]["update_id"]
        if update_id in self._in_flight:
            return
        retry = self._retries.get(update_id)
        if retry is not None and retry.wakeup_at > now:
            heapq.heappush(self._delayed, (retry.wakeup_at, update_id, key))
        else:
            heapq.heappush(self._ready, (update_id, key))

    def _queue_key(self, update: Json) -> Hashable:
        update_id = update["update_id"]
        if not self.chat_queues:
            return ("update", update_id)
        kind = next(key for key in update if key != "update_id")
        payload = update[kind]
        if not isinstance(payload, dict):
            return ("update", update_id)
        chat = payload.get("chat")
        if kind != "callback_query" and isinstance(chat, dict) and "id" in chat:
            return ("chat", chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
        return ("update", update_id)

    async def _deliver(self, config: WebhookConfig, update: Json, key: Hashable) -> None:
        loop = asyncio.get_running_loop()
        update_id = update["update_id"]
        started = loop.time()
        try:
            outcome, error, retry_after, reply = await self._post(config, update)
            delivery = WebhookDelivery(update_id, outcome, started, loop.time())
            self.deliveries.append(delivery)
            if self.on_delivery is not None:
                self.on_delivery(delivery, error)
            if error is None:
                self._retries.pop(update_id, None)
                if reply is not None and self._run_reply is not None:
                    await self._reply(reply)
                queue = self._queues.get(key)
                if queue and queue[0]["update_id"] == update_id:
                    queue.popleft()
                self.store.remove_update(update_id)
            else:
                self._failed(update_id, error, retry_after, loop.time())
        finally:
            # Also on cancellation: the update stays queued for whoever takes it next.
            self._in_flight.pop(update_id, None)
        self._schedule_head(key, loop.time())
        self.wake()

    def _failed(self, update_id: int, error: str, retry_after: int, now: float) -> None:
        log.debug("webhook delivery of update %s failed: %s", update_id, error)
        self.last_error_date = int(self._now())
        self.last_error_message = error
        retry = self._retries.setdefault(update_id, _Retry())
        retry.fails += 1
        if retry_after > 0:
            delay = float(min(retry_after, MAX_RETRY_AFTER))
        else:
            delay = min(self.retry_cap, self.retry_base * 2 ** (retry.fails - 1))
        retry.wakeup_at = now + delay

    async def _post(
        self, config: WebhookConfig, update: Json
    ) -> tuple[int | str, str | None, int, Json | None]:
        """(outcome, error or None, Retry-After seconds, a method call in the answer)."""
        # Telegram does not follow redirects: a 3xx is a wrong response like any other.
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._client().post(
                config.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                status, reason = response.status, response.reason or ""
                retry_after = _retry_after(response.headers.get("Retry-After"))
                reply = await _reply_call(response) if 200 <= status <= 299 else None
        except TimeoutError:
            return READ_TIMEOUT, READ_TIMEOUT, 0, None
        except aiohttp.ClientConnectorError as exc:
            message = _connect_error(exc)
            return message, message, 0, None
        except aiohttp.ServerDisconnectedError:
            return CONNECTION_CLOSED, CONNECTION_CLOSED, 0, None
        except (aiohttp.ClientError, ValueError) as exc:
            message = str(exc) or type(exc).__name__
            return message, message, 0, None
        if self._lose > 0:
            # The bot did the work, but its answer never reached Telegram.
            self._lose -= 1
            return f"lost {status}", CONNECTION_CLOSED, 0, None
        if not 200 <= status <= 299:
            return status, f"Wrong response from the webhook: {status} {reason}", retry_after, None
        return status, None, 0, reply

    async def _reply(self, reply: Json) -> None:
        method = str(reply.pop("method"))
        assert self._run_reply is not None
        try:
            await self._run_reply(method, reply)
        except Exception:
            # Telegram runs such a call on the bot's behalf and reports its errors nowhere.
            log.debug("method %s in a webhook answer failed", method, exc_info=True)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so a POST
            # never goes out on a connection the server is closing at that moment.
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=3.0)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _cancel_in_flight(self) -> None:
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_flight.clear()
        self._stale = True

    async def _stop_runner(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    async def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _retry_after(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


def _connect_error(exc: aiohttp.ClientConnectorError) -> str:
    os_error = exc.os_error
    if os_error.errno == errno.ECONNREFUSED:
        return "Connection refused"
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or os_error.errno in (-2, -3, -5):
        return "Failed to resolve host: Name or service not known"
    return os_error.strerror or str(exc)


async def _reply_call(response: aiohttp.ClientResponse) -> Json | None:
    """A Bot API call the bot put in its answer, as Telegram allows (not get* methods): a JSON
    object or a multipart form (what aiogram's webhook handlers send), "method" naming it."""
    values: Json = {}
    if response.content_type == "application/json":
        try:
            body = json.loads(await response.read())
        except ValueError:
            return None
        if isinstance(body, dict):
            values = body
    elif response.content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader(response.headers, response.content)
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            if part.filename:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                values[part.name] = Upload(part.filename, bytes(await part.read()), content_type)
            else:
                values[part.name] = await part.text()
    else:
        await response.read()
    method = values.get("method")
    if not isinstance(method, str) or method.lower() in _NOT_IN_REPLY:
        return None
    if method.lower().startswith("get"):
        return None
    return values
