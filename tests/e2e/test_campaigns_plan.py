"""A plan file with a `Chiến dịch` sheet: the campaigns show in the preview and are written on
Confirm (marked as coming from a plan file), next to the plans."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from support.bot_harness import BotUnderTest

from bot.roles import Role
from storage.models import Campaign


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_campaigns_sheet_previewed_then_written(app: BotUnderTest, user_factory) -> None:
    tuan = user_factory(6501, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    content = workbook(
        {
            "Kế hoạch": [
                ["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"],
                ["HS-SHOPEE", "gmv", "2026-12", "350tr"],
            ],
            "Chiến dịch": [
                ["Mã", "Tên chiến dịch", "Bắt đầu", "Kết thúc", "Gian hàng", "Ngân sách", "gmv"],
                [
                    "TET-HS",
                    "Tết Hoa Sen",
                    datetime(2027, 1, 20),
                    "5/2/2027",
                    "HS-SHOPEE",
                    "60tr",
                    "1,5 tỷ",
                ],
            ],
        }
    )
    await tuan.send_document("ke-hoach.xlsx", content)
    preview = (await tuan.next_message()).text
    assert "Chiến dịch Tết Hoa Sen: 20/01–05/02/2027 · HS-SHOPEE" in preview
    async with app.db.session_factory() as session:
        assert await session.scalar(select(Campaign).where(Campaign.code == "TET-HS")) is None
    await tuan.press("✅ Xác nhận")
    assert "Đã lưu kế hoạch" in (await tuan.next_message()).text
    async with app.db.session_factory() as session:
        row = await session.scalar(select(Campaign).where(Campaign.code == "TET-HS"))
    assert row is not None and row.source == "plan"
    assert (row.start_date, row.end_date) == (date(2027, 1, 20), date(2027, 2, 5))
    assert row.store_codes == ["HS-SHOPEE"] and row.budget == 60e6
    assert row.targets == {"gmv": 1.5e9}

    # A broken row is refused with its place; nothing is written.
    broken = workbook(
        {
            "Chiến dịch": [
                ["Mã", "Tên chiến dịch", "Bắt đầu", "Kết thúc", "Gian hàng"],
                ["X2", "Sai", "2027-03-10", "2027-03-01", "HS-SHOPEE"],
            ]
        }
    )
    await tuan.send_document("chien-dich.xlsx", broken)
    refused = (await tuan.next_message()).text
    assert "dòng 2, cột D: Ngày kết thúc đứng trước ngày bắt đầu" in refused
