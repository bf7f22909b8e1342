"""`opsbot plan import|template` and `opsbot export` with typer's CliRunner (SQLite file)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.database import open_database
from storage.models import Plan, PlanRevision

DEMO_ORG = Path("examples/demo-org.yaml").resolve()
GOOD = (
    "\ufeffcửa hàng;chỉ số;tháng;mục tiêu\n"
    "HS-SHOPEE;gmv;2020-01;350tr\n"
    "HS-TIKTOK;đơn;2020-01;2.500\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}",
        "OPSBOT_ORG": str(DEMO_ORG),
    }


def stored(env: dict[str, str]) -> tuple[dict[tuple[str, str], float], list[str]]:
    async def read() -> tuple[dict[tuple[str, str], float], list[str]]:
        database = await open_database(env["DATABASE_URL"])
        try:
            async with database.session_factory() as session:
                plans = (await session.scalars(select(Plan))).all()
                sources = (await session.scalars(select(PlanRevision.source))).all()
                return {(p.metric, p.month): p.target for p in plans}, list(sources)
        finally:
            await database.close()

    return asyncio.run(read())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_previews_and_saves_nothing_then_import_saves(
    env: dict[str, str], tmp_path: Path
) -> None:
    plan = write(tmp_path, "plan.csv", GOOD)
    runner = CliRunner()
    dry = runner.invoke(app, ["plan", "import", str(plan), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "New: 2 · Changed: 0 · Unchanged: 0" in dry.output
    assert "HS-SHOPEE · GMV · 01/2020: 350,000,000 ₫" in dry.output
    assert "<b>" not in dry.output and "Confirm" not in dry.output
    assert "dry run: nothing saved" in dry.output
    assert stored(env) == ({}, [])

    real = runner.invoke(app, ["plan", "import", str(plan)], env=env)
    assert real.exit_code == 0, real.output
    assert "Plan saved: 2 new" in real.output
    assert stored(env) == (
        {("gmv", "2020-01"): 350_000_000, ("orders", "2020-01"): 2500},
        ["cli", "cli"],
    )

    again = runner.invoke(app, ["plan", "import", str(plan)], env=env)
    assert again.exit_code == 0 and "Unchanged: 2" in again.output
    assert len(stored(env)[1]) == 2


def test_problems_are_printed_with_their_places_and_exit_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.csv", "store,metric,month,target\nHS-SHOPE,aov,13/2026,abc\n")
    result = CliRunner().invoke(app, ["plan", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert "has 4 problems; nothing was saved" in result.output
    assert "row 2, column A" in result.output and "did you mean «HS-SHOPEE»?" in result.output
    assert "row 2, column D: «abc» is not a number" in result.output
    assert stored(env) == ({}, [])


def test_month_option_fills_rows_without_a_month(env: dict[str, str], tmp_path: Path) -> None:
    plan = write(tmp_path, "plan.csv", "store,metric,target\nHS-SHOPEE,gmv,1000000\n")
    runner = CliRunner()
    missing = runner.invoke(app, ["plan", "import", str(plan)], env=env)
    assert missing.exit_code == 1 and "Missing column Month" in missing.output
    result = runner.invoke(app, ["plan", "import", str(plan), "--month", "2020-02"], env=env)
    assert result.exit_code == 0, result.output
    assert stored(env)[0] == {("gmv", "2020-02"): 1_000_000}
    bad = runner.invoke(app, ["plan", "import", str(plan), "--month", "feb"], env=env)
    assert bad.exit_code == 2 and "--month must be a month" in bad.output


def test_missing_file_and_missing_settings(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["plan", "import", str(tmp_path / "nope.xlsx")], env=env)
    assert result.exit_code == 2 and "cannot read" in result.output
    plan = write(tmp_path, "plan.csv", GOOD)
    no_org = runner.invoke(app, ["plan", "import", str(plan)], env={**env, "OPSBOT_ORG": ""})
    assert no_org.exit_code == 2 and "OPSBOT_ORG" in no_org.output


def test_template_reimports_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["plan", "import", str(write(tmp_path, "p.csv", GOOD))], env=env)
    out = tmp_path / "template.xlsx"
    made = runner.invoke(
        app, ["plan", "template", "--month", "2020-01", "--out", str(out)], env=env
    )
    assert made.exit_code == 0 and "7 stores" in made.output, made.output
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["Kế hoạch", "Trọng số ngày", "Mục tiêu cá nhân", "Hướng dẫn"]
    again = runner.invoke(app, ["plan", "import", str(out)], env=env)
    assert again.exit_code == 0 and "Unchanged: 2" in again.output
    assert "33 rows without a target" in again.output


def test_export_writes_the_month_or_says_why_not(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "export.xlsx"
    empty = runner.invoke(app, ["export", "--month", "2020-01", "--out", str(out)], env=env)
    assert empty.exit_code == 1 and "nothing written" in empty.output and not out.exists()
    future = runner.invoke(app, ["export", "--month", "2099-01", "--out", str(out)], env=env)
    assert future.exit_code == 1 and "has not started yet" in future.output

    runner.invoke(app, ["plan", "import", str(write(tmp_path, "p.csv", GOOD))], env=env)
    result = runner.invoke(app, ["export", "--month", "2020-01", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["Kế hoạch & thực hiện"]
    rows = {(r[0], r[3]): r[4] for r in book.active.iter_rows(min_row=2, values_only=True)}  # type: ignore[union-attr]
    assert rows == {("HS-SHOPEE", "Doanh thu (GMV)"): 350_000_000, ("HS-TIKTOK", "Đơn hàng"): 2500}
