"""Demo scenes of numbers without typing: Minh drops yesterday's Shopee export into the chat
(the preview shows the one number it changes, GMV he had typed by hand, and who typed it),
confirms, and sends the same file again (nothing changed); then an n8n flow pushes TikTok Shop
numbers through the HTTP API, shown as the equivalent ``curl`` lines with the JSON answers;
the manager's ``/status`` and ``/history`` show where each number came from.

The export is made by ``bot.demo.shopee_export`` from what is stored for the day, so that only
GMV differs. The API is the real application (``bot.api.build_api``) served as ``opsbot run``
serves it with ``OPSBOT_HTTP_PORT`` set, on a free local port, with a token created through
the token service as ``opsbot token create`` does.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.demo.shopee_export import (
    ShopeeOrder,
    day_orders,
    file_name,
    order_id,
    shopee_vn_xlsx,
    totals,
)
from bot.domain.number_format import format_value
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.sandbox.client import BotOutput, SandboxUser
from bot.services.reporting import default_business_date
from storage.repositories import catalog, reports

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

SHOPEE_STORE = "HS-SHOPEE"
TIKTOK_STORE = "HS-TIKTOK"
EXPORT_GMV_EXTRA = 215_000  # what the export counts beyond the GMV Minh typed from memory
TOKEN_NAME = "n8n-tiktok"
TOKEN_SCOPE = f"stores:{TIKTOK_STORE}"
ORDER_METRICS = ("orders", "cancelled", "returned", "gmv", "nmv")


def ingest_scenes(scenario: Scenario) -> list[Scene]:
    demo = IngestDemo(scenario)
    return [
        ("Minh drops yesterday's Shopee export into the chat: preview, Confirm", demo.export),
        ("The same file again: nothing changed, nothing written", demo.same_file_again),
        ("An n8n flow pushes TikTok Shop numbers to the HTTP API", demo.api_push),
        ("/status and /history show where the numbers came from", demo.sources),
    ]


class IngestDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.file: tuple[str, bytes] | None = None
        self._org: OrgConfig | None = None

    @property
    def org(self) -> OrgConfig:
        if self._org is None:
            from bot.demo import DEMO_ORG

            self._org = load_org(DEMO_ORG)
        return self._org

    @property
    def minh(self) -> SandboxUser:
        return self.s.minh

    def _days(self) -> tuple[date, date]:
        """The business day reports cover now (yesterday), and today."""
        now = self.s.clock.now()
        return default_business_date(self.org, now), now.astimezone(self.org.tz).date()

    async def _stored(self, code: str, day: date) -> dict[str, float]:
        async with self.s.database.session_factory() as session:
            store = await catalog.get_store_by_code(session, code)
            if store is None:
                raise AssertionError(f"no store {code}")
            form = self.org.store(code)
            stored = await reports.load_report(
                session, f"store:{store.id}", form.department if form else "growth", day
            )
        if stored is None:
            raise AssertionError(f"{code} has no report for {day} (typed earlier in the demo)")
        return stored.values

    async def _reply(self, user: SandboxUser, wanted: str) -> BotOutput:
        """The next message containing ``wanted`` (alerts a write re-evaluates may come first;
        they are in the transcript)."""
        for _ in range(10):
            output = await user.next_message(timeout=15)
            if wanted in output.text:
                return output
        raise AssertionError(f"{user.first_name} got no message with {wanted!r}")

    # --- the export in chat ---------------------------------------------------------------------

    def _orders(self, day: date, today: date, stored: dict[str, float]) -> list[ShopeeOrder]:
        missing = [key for key in ORDER_METRICS if key not in stored]
        if missing:
            raise AssertionError(f"{SHOPEE_STORE} {day}: no {', '.join(missing)} stored")
        numbers = {key: int(stored[key]) for key in ORDER_METRICS}
        numbers["gmv"] += EXPORT_GMV_EXTRA
        orders = day_orders(day, **numbers)
        # Orders of this morning are in the export too: their day is not over, so left out.
        this_morning = [
            ShopeeOrder(order_id(today, 0), datetime.combine(today, time(0, 7)), 189_000),
            ShopeeOrder(order_id(today, 1), datetime.combine(today, time(6, 41)), 318_000, lines=2),
        ]
        made = this_morning[::-1] + orders
        if totals(made)[day] != numbers:
            raise AssertionError("the demo export does not add up")
        return made

    async def export(self) -> None:
        day, today = self._days()
        stored = await self._stored(SHOPEE_STORE, day)
        orders = self._orders(day, today, stored)
        name, content = file_name(day, today), shopee_vn_xlsx(orders)
        self.file = (name, content)
        lines = sum(order.lines for order in orders)
        self.s.out.write(
            f"(Minh downloads «{name}» from Shopee Seller Centre: {len(orders)} orders on "
            f"{lines} rows, {day:%d/%m} and this morning)"
        )
        self.minh.drain()  # alerts of earlier scenes are in the transcript
        await self.minh.send_document(name, content)
        preview = await self._reply(self.minh, name)
        old, new = stored["gmv"], stored["gmv"] + EXPORT_GMV_EXTRA
        shown = (
            f"{format_value(old, 'money', locale)} → {format_value(new, 'money', locale)}"
            for locale in ("vi", "en")
        )
        if not any(change in preview.text for change in shown) or "Minh" not in preview.text:
            raise AssertionError(f"the preview does not show GMV typed by Minh: {preview.text}")
        if not preview.buttons:
            raise AssertionError("the preview has no Confirm button")
        await self.s.press(self.minh, preview.buttons[0][0])
        await self._reply(self.minh, SHOPEE_STORE)

    async def same_file_again(self) -> None:
        if self.file is None:
            raise AssertionError("the export scene did not run")
        name, content = self.file
        await self.minh.send_document(name, content)
        again = await self._reply(self.minh, name)
        if again.buttons:
            raise AssertionError(f"the same file offers to save again: {again.summary()}")
        await self.s._breathe()

    # --- the HTTP API ---------------------------------------------------------------------------

    async def _token(self) -> str:
        from bot.services.api_tokens import create_token

        async with self.s.database.session_factory() as session, session.begin():
            row, secret = await create_token(
                session,
                self.org,
                name=TOKEN_NAME,
                scope=TOKEN_SCOPE,
                read_only=False,
                now=self.s.clock.now(),
            )
            scope = row.scope
        self.s.out.write(
            f"$ opsbot token create --name {TOKEN_NAME} --scope {TOKEN_SCOPE}\n"
            f"token {TOKEN_NAME} ({scope}, read-write) created; it is shown only this once:\n"
            f"{secret}"
        )
        return secret

    def _push_body(self, day: date, stored: dict[str, float]) -> dict[str, Any]:
        exact = {  # TikTok Shop's numbers for the day, a little off what Hạnh typed
            "gmv": int(stored["gmv"]) + 47_000,
            "nmv": int(stored["nmv"]) + 31_000,
            "orders": int(stored["orders"]),
        }
        return {
            "source": "n8n-tiktok-daily",
            "items": [
                {"store": TIKTOK_STORE, "date": day.isoformat(), "values": exact},
                {  # a column mixed up in the flow: more cancelled orders than orders
                    "store": TIKTOK_STORE,
                    "date": (day - timedelta(days=1)).isoformat(),
                    "values": {"orders": 58, "cancelled": 64},
                },
                {  # outside the token's scope: answered as an unknown store
                    "store": SHOPEE_STORE,
                    "date": day.isoformat(),
                    "values": {"orders": 90},
                },
            ],
        }

    async def api_push(self) -> None:
        import aiohttp

        from bot.api import ApiServer, build_api

        day, _ = self._days()
        secret = await self._token()
        body = self._push_body(day, await self._stored(TIKTOK_STORE, day))
        app = build_api(self.s.database.session_factory, self.org, self.s.clock)
        server = ApiServer(app, "127.0.0.1", 0)  # as `opsbot run` with OPSBOT_HTTP_PORT set
        await server.start()
        base = f"http://127.0.0.1:{server.port}"
        key = f"tiktok-{day.isoformat()}"
        headers = {
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        try:
            async with aiohttp.ClientSession(base) as http:
                self.s.out.write(_curl_post(f"{base}/api/v1/values", secret, key, body))
                async with http.post("/api/v1/values", json=body, headers=headers) as response:
                    answer = await response.json()
                    self.s.out.write(_answer(response.status, answer))
                statuses = [item["status"] for item in answer.get("results", [])]
                if statuses != ["updated", "rejected", "rejected"]:
                    raise AssertionError(f"unexpected push results: {answer}")

                self.s.out.write(
                    "(the flow times out and sends the same request again: same "
                    "Idempotency-Key, same body → the first answer, nothing written twice)"
                )
                async with http.post("/api/v1/values", json=body, headers=headers) as response:
                    replayed = response.headers.get("Idempotent-Replayed")
                    self.s.out.write(f"HTTP {response.status} · Idempotent-Replayed: {replayed}")
                    if replayed != "true" or await response.json() != answer:
                        raise AssertionError("the retry was not answered from the first push")

                query = f"store={TIKTOK_STORE}&from={day.isoformat()}&to={day.isoformat()}"
                self.s.out.write(
                    f'$ curl -s "{base}/api/v1/values?{query}" \\\n'
                    f'    -H "Authorization: Bearer {secret}"'
                )
                auth = {"Authorization": f"Bearer {secret}"}
                async with http.get(f"/api/v1/values?{query}", headers=auth) as response:
                    self.s.out.write(_answer(response.status, await response.json()))
        finally:
            await server.stop()
        await self.s.delivered()  # a late value re-evaluates alerts; they go out now

    # --- where numbers came from ----------------------------------------------------------------

    async def sources(self) -> None:
        day, _ = self._days()
        self.s.tuan.drain()
        status = await self.s.say(self.s.tuan, f"/status {day:%d/%m}")
        if SHOPEE_STORE not in status:
            raise AssertionError(f"/status does not list {SHOPEE_STORE}: {status}")
        await self.s.say(self.s.tuan, f"/history {TIKTOK_STORE} {day:%d/%m}")


def _curl_post(url: str, token: str, key: str, body: dict[str, Any]) -> str:
    items = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in body["items"])
    source = json.dumps(body["source"], ensure_ascii=False)
    return "\n".join(
        (
            f"$ curl -s -X POST {url} \\",
            f'    -H "Authorization: Bearer {token}" \\',
            '    -H "Content-Type: application/json" \\',
            f'    -H "Idempotency-Key: {key}" \\',
            "    --data-binary @- <<'JSON'",
            f'{{"source": {source}, "items": [',
            items,
            "]}",
            "JSON",
        )
    )


def _answer(status: int, body: dict[str, Any]) -> str:
    """The JSON answer as curl prints it, one result per line for readability."""
    results = body.get("results")
    if not isinstance(results, list):
        return f"HTTP {status}\n{json.dumps(body, ensure_ascii=False)}"
    lines = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in results)
    return f'HTTP {status}\n{{"results": [\n{lines}\n]}}'
