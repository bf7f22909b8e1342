"""Exports written by the shared generator (``support.exports``, the real layouts) dropped into
the chat: the saved numbers equal the totals the generator computed on its own."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from support.bot_harness import BotUnderTest
from support.exports import Export, Line, write_shopee_en, write_shopee_vn, write_tiktok
from test_ingest_upload import stored

from bot.roles import Role
from bot.sandbox.client import SandboxUser

LINES = [
    Line("A1", datetime(2026, 11, 18, 9, 0), 250_000),
    Line("A1", datetime(2026, 11, 18, 9, 0), 250_000, sku="SKU-B"),  # a second line
    Line("A2", datetime(2026, 11, 18, 23, 59), 90_000, status="cancelled"),
    Line("B1", datetime(2026, 11, 19, 0, 1), 120_000, returned=True),
    Line("B2", datetime(2026, 11, 19, 13, 30), 310_000, status="shipping"),
    Line("C1", datetime(2026, 11, 20, 23, 55), 75_000),
    Line("D1", datetime(2026, 11, 21, 0, 5), 60_000),  # today in Ho Chi Minh City: left out
]
OVER = {date(2026, 11, d) for d in (18, 19, 20)}


@pytest.fixture
async def lan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7201, "Lan")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    return user


def shopee_vn(path: Path) -> Export:
    return write_shopee_vn(path / "Order.all.xlsx", LINES, dates="excel", twins=True)


def shopee_en(path: Path) -> Export:
    return write_shopee_en(path / "Order.all.en.xlsx", LINES, dates="month_first")


def tiktok_csv(path: Path) -> Export:
    return write_tiktok(path / "tiktok-orders.csv", LINES)


@pytest.mark.parametrize(
    ("write", "store", "format_shown"),
    [
        (shopee_vn, "HS-SHOPEE", "Shopee (tiếng Việt)"),
        (shopee_en, "HS-SHOPEE", "Shopee (tiếng Anh)"),
        (tiktok_csv, "HS-TIKTOK", "TikTok Shop"),
    ],
    ids=["shopee-vn-excel-dates", "shopee-en-month-first", "tiktok-csv"],
)
async def test_generated_exports_import_their_totals(
    app: BotUnderTest, lan: SandboxUser, tmp_path: Path, write, store: str, format_shown: str
) -> None:
    export = write(tmp_path)
    await lan.send_document(export.path.name, export.path.read_bytes())
    preview = (await lan.next_message()).text
    assert f"Định dạng: {format_shown} · Gian hàng: {store}" in preview, preview
    assert "Chưa hết ngày, bỏ qua: 21/11" in preview
    await lan.press("✅ Xác nhận")
    assert "3 ngày" in (await lan.next_message()).text
    assert await stored(app, store) == {day: export.expected[day] for day in OVER}
