"""``POST /telegram/webhook``: Telegram (or the proxy in front of the workers) delivers updates.

* The ``X-Telegram-Bot-Api-Secret-Token`` header must equal ``WEBHOOK_SECRET`` (compared in
  constant time); otherwise 401 and the body is not even read.
* A body that is not a JSON object with an integer ``update_id`` is refused with 400; the log
  line names the reason, never the content (it may hold anyone's messages).
* 200 only once ``feed`` returned, i.e. the update's transaction committed (or the update was
  found already applied). A handler bug is logged and answered to the user by the errors router:
  that update is answered 200 too, since a redelivery would fail the same way forever.
  ``UpdateNotApplied`` (the database failed and everything was rolled back) answers 500, so
  Telegram delivers the update again.
* While the process drains (SIGTERM) new updates get 503: the proxy passes them to another
  worker, and Telegram retries if none is left.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.services.updates import InvalidUpdate, UpdateNotApplied

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"

Feed = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class WebhookTarget:
    """What ``build_api(webhook=...)`` mounts: where updates go and the secret they must carry;
    ``draining`` tells when the process is shutting down."""

    feed: Feed
    secret: str
    draining: Callable[[], bool] = lambda: False


def _answer(status: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": status == 200, "description": description}, status_code=status)


def read_update(body: bytes) -> dict[str, Any] | str:
    """The update in ``body``, or why it is not one (a reason that never quotes the body)."""
    try:
        update = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "not JSON"
    if not isinstance(update, dict):
        return f"JSON {type(update).__name__}, not an object"
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return "no integer update_id"
    return update


def create_webhook_router(
    feed: Feed, secret: str, *, draining: Callable[[], bool] = lambda: False
) -> APIRouter:
    if not secret:
        raise ValueError("the webhook needs a secret")
    expected = secret.encode()
    router = APIRouter(tags=["telegram"], include_in_schema=False)

    @router.post(WEBHOOK_PATH)
    async def telegram_webhook(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: refused a request without the right secret token")
            return _answer(401, "Unauthorized")
        if draining():
            return _answer(503, "shutting down")
        update = read_update(await request.body())
        if isinstance(update, str):
            log.warning("webhook: refused a body that is not an update: %s", update)
            return _answer(400, f"Bad Request: {update}")
        update_id = update["update_id"]
        try:
            await feed(update)
        except InvalidUpdate as exc:
            log.warning("webhook: update_id=%s is not a valid update: %s", update_id, exc)
            return _answer(400, "Bad Request: not a valid update")
        except UpdateNotApplied:
            log.warning(
                "webhook: update_id=%s rolled back; Telegram will deliver it again", update_id
            )
            return _answer(500, "not applied, deliver again")
        except Exception:
            log.exception("webhook: update_id=%s failed outside its handlers", update_id)
            return _answer(500, "internal error")
        return _answer(200, "ok")

    return router
