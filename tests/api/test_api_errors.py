"""Every refusal of the HTTP API, each with a JSON body naming the problem, and nothing
written when a request is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from api_support import DAY, GOOD_DAY, Api, day_item
from sqlalchemy import func, select

from storage.models import ValueRevision


async def revisions(api: Api) -> int:
    async with api.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ValueRevision)) or 0)


def body(**values: float) -> dict[str, object]:
    return {"items": [day_item(**values)]}


async def test_missing_unknown_and_revoked_tokens_get_the_same_401(api: Api) -> None:
    answers = [
        await api.client.post("/api/v1/values", json=body(gmv=1)),
        await api.client.post(
            "/api/v1/values", json=body(gmv=1), headers={"Authorization": "Bearer opsbot_nope"}
        ),
        await api.client.post("/api/v1/values", json=body(gmv=1), headers=api.auth("old")),
        await api.client.get(
            "/api/v1/kpi/HS-SHOPEE", headers={"Authorization": f"Basic {api.tokens['n8n']}"}
        ),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401]
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["error"] == "unauthorized"
    assert answers[0].headers["www-authenticate"] == "Bearer"
    assert await revisions(api) == 0


async def test_malformed_json_without_a_token_is_401_not_a_schema_hint(api: Api) -> None:
    answer = await api.client.post(
        "/api/v1/values", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401


async def test_a_read_only_token_reads_but_cannot_write(api: Api) -> None:
    write = await api.push([day_item(**GOOD_DAY)], token="bi")
    assert write.status_code == 403
    assert write.json()["error"] == "read_only_token" and "bi" in write.json()["message"]
    assert await revisions(api) == 0
    read = await api.client.get(
        "/api/v1/values",
        params={"store": "HS-SHOPEE", "from": "2026-11-01", "to": "2026-11-20"},
        headers=api.auth("bi"),
    )
    assert read.status_code == 200


async def test_a_body_over_one_megabyte_is_413_by_length_and_by_stream(api: Api) -> None:
    big = json.dumps({"items": [day_item(gmv=1)], "source": "x" * (1024 * 1024)}).encode()
    declared = await api.client.post(
        "/api/v1/values",
        content=big,
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert declared.status_code == 413
    assert declared.json()["error"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = await api.client.post(
        "/api/v1/values",
        content=chunks(),
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert await revisions(api) == 0


async def test_a_body_just_under_the_limit_is_read(api: Api) -> None:
    items = [day_item(**GOOD_DAY)] * 1000  # ~120 kB: well within, answered item by item
    answer = await api.client.post("/api/v1/values", json={"items": items}, headers=api.auth())
    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 1000


async def test_a_non_json_body_is_415(api: Api) -> None:
    form = await api.client.post(
        "/api/v1/values", data={"items": "x"}, headers=api.auth()
    )  # application/x-www-form-urlencoded
    assert form.status_code == 415
    assert form.json()["error"] == "unsupported_media_type"
    text = await api.client.post(
        "/api/v1/values",
        content=json.dumps(body(gmv=1)),
        headers={**api.auth(), "Content-Type": "text/plain"},
    )
    assert text.status_code == 415 and "text/plain" in text.json()["message"]
    assert await revisions(api) == 0


async def test_a_malformed_body_is_422_with_the_field_path(api: Api) -> None:
    answer = await api.client.post(
        "/api/v1/values",
        json={
            "items": [day_item(gmv=1), {"store": "HS-SHOPEE", "date": "30/11/2026", "values": {}}]
        },
        headers=api.auth(),
    )
    assert answer.status_code == 422
    paths = [d["path"] for d in answer.json()["details"]]
    assert "items.1.date" in paths and "items.1.values" in paths
    assert answer.json()["message"].startswith("items.1.")

    text_number = await api.push([day_item(gmv="12500000")])  # type: ignore[arg-type]
    assert text_number.status_code == 422
    assert text_number.json()["details"][0]["path"] == "items.0.values.gmv"

    broken = await api.client.post(
        "/api/v1/values",
        content=b'{"items": [',
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_request"
    not_text = await api.client.post(
        "/api/v1/values",
        content=b"\xff\xfe\x00{",
        headers={**api.auth(), "Content-Type": "application/json"},
    )
    assert not_text.status_code == 422 and not_text.json()["details"][0]["path"] == "body"
    seconds = await api.push([{"store": "HS-SHOPEE", "date": 1764460800, "values": {"gmv": 1}}])
    assert seconds.status_code == 422
    assert seconds.json()["details"][0]["path"] == "items.0.date"
    empty = await api.client.post("/api/v1/values", json={"items": []}, headers=api.auth())
    assert empty.status_code == 422 and empty.json()["details"][0]["path"] == "items"
    assert await revisions(api) == 0


async def test_query_errors_name_the_parameter(api: Api) -> None:
    answer = await api.client.get(
        "/api/v1/values", params={"store": "HS-SHOPEE", "from": "nope"}, headers=api.auth()
    )
    assert answer.status_code == 422
    paths = {d["path"] for d in answer.json()["details"]}
    assert {"query.from", "query.to"} <= paths
    period = await api.client.get(
        "/api/v1/kpi/HS-SHOPEE", params={"period": "yesterday"}, headers=api.auth()
    )
    assert period.status_code == 422 and period.json()["details"][0]["path"] == "query.period"


async def test_over_twenty_requests_a_second_is_429_with_retry_after(api: Api) -> None:
    api.time.step = 0.0  # all within the same second
    path = "/api/v1/kpi/HS-SHOPEE"
    codes = [(await api.client.get(path, headers=api.auth())).status_code for _ in range(20)]
    assert codes == [200] * 20
    limited = await api.client.get(path, headers=api.auth())
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["error"] == "rate_limited"
    # per token: another token is not held back
    assert (await api.client.get(path, headers=api.auth("bi"))).status_code == 200
    api.time.value += 1.01  # a second later the window has moved on
    assert (await api.client.get(path, headers=api.auth())).status_code == 200


async def test_unknown_paths_answer_json(api: Api) -> None:
    answer = await api.client.get("/api/v1/nothing", headers=api.auth())
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    wrong = await api.client.delete("/api/v1/values", headers=api.auth())
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


async def test_health_and_documents(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    schema = (await api.client.get("/api/openapi.json")).json()
    post = schema["paths"]["/api/v1/values"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ValuesRequest"
    )
    assert {"401", "403", "409", "413", "415", "422", "429"} <= set(post["responses"])
    docs = await api.client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert DAY.isoformat() == "2026-11-20"
