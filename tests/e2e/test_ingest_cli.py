"""`opsbot ingest file` with typer's CliRunner over a SQLite file: dry run, store choice,
saving with the file's hash, the same file again, and errors (exit code 2)."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from test_ingest_upload import Order, expected, shopee_rows, shopee_xlsx
from typer.testing import CliRunner

from bot.cli import app
from storage.database import open_database
from storage.models import DailyValue, Report, Store, ValueRevision

DEMO_ORG = Path("examples/demo-org.yaml").resolve()
# Long past, whatever the real clock says: every day is over.
ORDERS = [
    Order("P1", "04/03/2024 10:00", "Hoàn thành", "", 420_000, 2),
    Order("P2", "04/03/2024 18:00", "Đã hủy", "", 80_000, 1),
    Order("P3", "05/03/2024 09:00", "Hoàn thành", "Đã hoàn tiền", 150_000, 1),
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ingest.db'}",
        "OPSBOT_ORG": str(DEMO_ORG),
    }


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "Order.all.202403.xlsx"
    path.write_bytes(shopee_xlsx(shopee_rows(ORDERS)))
    return path


def database_state(env: dict[str, str]) -> tuple[dict[tuple[str, str], float], list[tuple]]:
    async def read() -> tuple[dict[tuple[str, str], float], list[tuple]]:
        database = await open_database(env["DATABASE_URL"])
        try:
            async with database.session_factory() as session:
                rows = await session.execute(
                    select(
                        Store.code, DailyValue.business_date, DailyValue.metric, DailyValue.value
                    )
                    .join(Report, Report.id == DailyValue.report_id)
                    .join(Store, Store.id == Report.store_id)
                )
                values = {(f"{c} {d}", m): v for c, d, m, v in rows.all()}
                revisions = await session.execute(
                    select(
                        ValueRevision.source,
                        ValueRevision.source_detail,
                        ValueRevision.changed_by_id,
                    )
                )
                return values, list(revisions.all())
        finally:
            await database.close()

    return asyncio.run(read())


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["ingest", "file", *args], env=env)
    return result.exit_code, result.output


def test_dry_run_then_save_then_the_same_file_again(env: dict[str, str], export: Path) -> None:
    code, output = run(env, str(export), "--store", "hs-shopee", "--dry-run")
    assert code == 0, output
    assert "Preview of «Order.all.202403.xlsx»" in output and "Store: HS-SHOPEE" in output
    assert "Dates in the file are read day first" in output
    assert "04/03/2024: Orders 2 orders (new)" in output
    assert "GMV 500,000 ₫ (new)" in output, output
    assert "dry run: nothing saved" in output
    assert database_state(env) == ({}, [])

    code, output = run(env, str(export), "--store", "HS-SHOPEE")
    assert code == 0, output
    assert "Saved HS-SHOPEE's numbers" in output and "2 days (" in output
    values, revisions = database_state(env)
    want = expected(ORDERS)
    assert values == {
        (f"HS-SHOPEE {day}", metric): value
        for day, totals in want.items()
        for metric, value in totals.items()
    }
    sha = hashlib.sha256(export.read_bytes()).hexdigest()
    assert set(revisions) == {("import:shopee_vn", f"{export.name} sha256:{sha}", None)}
    assert len(revisions) == 10

    code, output = run(env, str(export), "--store", "HS-SHOPEE")
    assert code == 0 and "Nothing changed" in output, output
    assert len(database_state(env)[1]) == 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "several shopee stores (GDAP-SHOPEE, HS-SHOPEE, TTSG-SHOPEE): pass --store CODE"),
        (("--store", "NOPE"), "unknown store 'NOPE'"),
        (("--store", "HS-TIKTOK"), "HS-TIKTOK is a tiktok store; the file is a shopee export"),
    ],
    ids=["ambiguous", "unknown", "other-platform"],
)
def test_store_errors_exit_2_and_save_nothing(
    env: dict[str, str], export: Path, args: tuple[str, ...], message: str
) -> None:
    code, output = run(env, str(export), *args)
    assert code == 2 and message in output, output
    assert database_state(env) == ({}, [])


def test_bad_files_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    old = tmp_path / "orders.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    code, output = run(env, str(old), "--store", "HS-SHOPEE")
    assert code == 2 and "old Excel file (.xls)" in output, output

    missing = tmp_path / "missing.xlsx"
    code, output = run(env, str(missing), "--store", "HS-SHOPEE")
    assert code == 2 and "Could not read «missing.xlsx»" in output, output
    assert database_state(env) == ({}, [])
