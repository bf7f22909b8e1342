"""Demo scenes of plans and exports: the Growth manager downloads next month's plan template,
fills it in (as a person would, in Excel) and sends it back; a broken file is refused with its
problems; then the plan is shown and the month is exported. Files the bot sends are saved."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.sandbox.client import SandboxUser

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

# Monthly GMV targets (đồng) the manager types into the template; other metrics follow from it.
GMV_TARGETS = {
    "HS-SHOPEE": "620tr",
    "HS-TIKTOK": "310tr",
    "TTSG-SHOPEE": "850tr",
    "TTSG-TIKTOK": "480tr",
    "TTSG-Q1": "190tr",
    "GDAP-SHOPEE": "1,05 tỷ",
    "GDAP-TIKTOK": "380tr",
}


def plan_scenes(scenario: Scenario) -> list[Scene]:
    demo = PlanDemo(scenario)
    return [
        ("The manager downloads next month's plan template", demo.template),
        ("A plan file with mistakes is refused, with every problem located", demo.broken_file),
        ("The filled-in template: preview, then Confirm", demo.import_filled),
        ("/plan shows a store's targets and day weights (12.12, payday)", demo.show),
        ("/export sends the month as an Excel file", demo.export),
    ]


class PlanDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.template_bytes = b""
        self.template_name = ""
        self.month = ""

    @property
    def manager(self) -> SandboxUser:
        return self.scenario.tuan

    async def template(self) -> None:
        self.manager.drain()  # alerts and digests of earlier scenes are in the transcript
        await self.manager.send("/plan template")
        document = await self.manager.next_document()
        if document.data is None or document.file_name is None:
            raise AssertionError("the template arrived without a file")
        self.template_bytes, self.template_name = document.data, document.file_name
        self.month = self.template_name.removeprefix("ke-hoach-").removesuffix(".xlsx")

    async def _send(self, name: str, content: bytes) -> str:
        await self.manager.send_document(name, content)
        reply = await self.manager.next_message()
        return reply.text

    async def broken_file(self) -> None:
        rows = [
            ["HS-SHOPEE", "gmv", self.month, "sáu trăm triệu"],
            ["HS-SHOPE", "gmv", self.month, "600tr"],
            ["HS-TIKTOK", "aov", self.month, "150k"],
            ["HS-TIKTOK", "gmv", self.month, "-300tr"],
        ]
        text = await self._send("ke-hoach-nhap.xlsx", _sheet(rows))
        if "chưa có gì được lưu" not in text:
            raise AssertionError(f"the broken file was not refused: {text!r}")

    async def import_filled(self) -> None:
        text = await self._send(self.template_name, _filled(self.template_bytes))
        if "Xem trước" not in text:
            raise AssertionError(f"no preview for the filled template: {text!r}")
        await self.scenario.press(self.manager, "✅ Xác nhận")
        await self.manager.next_message()

    async def show(self) -> None:
        await self.scenario.say(self.manager, f"/plan HS-SHOPEE {self.month}")

    async def export(self) -> None:
        await self.manager.send("/export")
        await self.manager.next_document()


def _sheet(rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    for row in [["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"], *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _filled(template: bytes) -> bytes:
    """The template with targets typed the way people do (``620tr``, ``1,05 tỷ``, plain numbers)."""
    from openpyxl import load_workbook

    from bot.domain.numbers import parse_number

    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        store, metric, target = row[0].value, row[2].value, row[5]
        gmv_text = GMV_TARGETS.get(str(store))
        if gmv_text is None:
            continue
        gmv = parse_number(gmv_text, "money")
        typed: dict[str, object] = {
            "gmv": gmv_text,
            "nmv": round(gmv * 0.88, -6),
            "orders": round(gmv / 150_000),
            "traffic": round(gmv / 150_000 / 0.03),
            "ads_cost": f"{round(gmv / 8 / 1e6)}tr",
        }
        target.value = typed.get(str(metric))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
