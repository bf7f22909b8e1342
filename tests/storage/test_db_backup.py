"""`opsbot db backup` / `opsbot db restore` on SQLite (and the printed pg_dump for PostgreSQL):
a consistent copy while another connection writes, a checked restore that keeps the previous
file, and refusals that leave the database untouched."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storage.cli import db_app
from storage.engine import create_engine
from storage.migrate import head_revision, upgrade_to

runner = CliRunner()
BATCH = 50  # rows per writer transaction: a copy holds whole batches or none of a batch


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "LOG_LEVEL", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def db(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(db_app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "opsbot.db"
    code, output = db("upgrade", "--database-url", url_of(path))
    assert code == 0, output
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE writes (batch INTEGER NOT NULL, n INTEGER NOT NULL)")
        conn.executemany(
            "INSERT INTO writes VALUES (0, ?)", [(n,) for n in range(20_000)]
        )  # enough pages that the copy takes a moment
    return path


class Writer(threading.Thread):
    """Another connection committing batches of rows until told to stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.first_commit = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            while not self.stop.is_set():
                batch = self.committed + 1
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO writes VALUES (?, ?)", [(batch, n) for n in range(BATCH)]
                )
                conn.execute("COMMIT")
                self.committed = batch
                self.first_commit.set()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.first_commit.set()
        finally:
            conn.close()


@pytest.fixture
def writer(database: Path) -> Iterator[Writer]:
    thread = Writer(database)
    thread.start()
    assert thread.first_commit.wait(10), "the writer never committed"
    yield thread
    thread.stop.set()
    thread.join(10)


def batches(path: Path) -> dict[int, int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT batch, COUNT(*) FROM writes WHERE batch > 0 GROUP BY batch")
        return dict(rows.fetchall())


def test_backup_while_another_connection_writes_then_restore(
    database: Path, writer: Writer, tmp_path: Path
) -> None:
    copy = tmp_path / "backups" / "copy.db"
    copy.parent.mkdir()
    before = writer.committed

    code, output = db("backup", copy, "--database-url", url_of(database))

    assert code == 0, output
    assert str(copy.resolve()) in output and "KiB" in output and head_revision() in output
    while writer.committed <= before + 1 and writer.error is None:
        writer.stop.wait(0.01)  # the writer went on during and after the copy
    writer.stop.set()
    writer.join(10)
    assert writer.error is None, writer.error
    copied = batches(copy)
    assert len(copied) >= before and set(copied.values()) == {BATCH}  # whole transactions
    assert not copy.with_name("copy.db-wal").exists()  # one self-contained file
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    live = batches(database)
    assert len(live) > len(copied)

    code, output = db("restore", copy, "--database-url", url_of(database))

    assert code == 0, output
    assert "opsbot.db.bak" in output
    assert batches(database) == copied
    assert batches(database.with_name("opsbot.db.bak")) == live  # nothing of the old one lost
    code, output = db("current", "--database-url", url_of(database))
    assert code == 0 and output.strip() == f"{head_revision()} (head)"


def test_backup_refuses_to_overwrite_without_force(database: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"keep me")
    code, output = db("backup", copy, "--database-url", url_of(database))
    assert code == 1 and "--force" in output and copy.read_bytes() == b"keep me"
    code, output = db("backup", copy, "--force", "--database-url", url_of(database))
    assert code == 0, output
    assert batches(copy) == batches(database)


def test_backup_of_a_missing_database(tmp_path: Path) -> None:
    code, output = db("backup", tmp_path / "c.db", "--database-url", url_of(tmp_path / "no.db"))
    assert code == 1 and "does not exist" in output
    assert not (tmp_path / "no.db").exists()  # not created by looking at it


def _written(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _other_sqlite(path: Path, revision: str | None) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        if revision is not None:
            conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: _written(p, b"not a database"), "is not a SQLite database"),
        (lambda p: _written(p, b"SQLite format 3\x00" + b"\xff" * 200), "cannot be read"),
        (lambda p: _other_sqlite(p, None), "not an opsbot one"),
        (lambda p: _other_sqlite(p, "9999_from_the_future"), "unknown to this version"),
    ],
    ids=["text", "damaged", "no-schema", "unknown-revision"],
)
def test_restore_refuses_what_is_not_a_backup_of_this_schema(
    database: Path, tmp_path: Path, make, reason: str
) -> None:
    candidate = make(tmp_path / "candidate.db")
    before = database.read_bytes()
    code, output = db("restore", candidate, "--database-url", url_of(database))
    assert code == 1 and reason in output, output
    assert database.read_bytes() == before
    assert not database.with_name("opsbot.db.bak").exists()


HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("SELECT COUNT(*) FROM writes").fetchone()
print("open", flush=True)
sys.stdin.readline()
conn.close()
"""


def test_restore_refuses_while_another_process_has_the_database_open(
    database: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    assert db("backup", copy, "--database-url", url_of(database))[0] == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, output = db("restore", copy, "--database-url", url_of(database))
        assert code == 1 and "in use" in output and "stop the bot" in output
        assert not database.with_name("opsbot.db.bak").exists()
    finally:
        holder.communicate("\n", timeout=10)
    code, output = db("restore", copy, "--database-url", url_of(database))
    assert code == 0, output


def test_an_older_schema_is_restored_and_upgraded_by_the_next_start(tmp_path: Path) -> None:
    old = tmp_path / "old.db"

    async def make_old() -> None:
        engine = create_engine(url_of(old))
        try:
            await upgrade_to(engine, "0001")
        finally:
            await engine.dispose()

    asyncio.run(make_old())
    target = tmp_path / "fresh.db"
    code, output = db("restore", old, "--database-url", url_of(target))
    assert code == 0, output
    assert "(schema 0001)" in output and "upgrades it on start" in output
    assert "kept as" not in output  # there was no previous database
    assert db("current", "--database-url", url_of(target))[1].startswith("0001 (head is")


def test_postgresql_gets_the_commands_without_the_password() -> None:
    url = "postgresql+asyncpg://opsbot:s3cret@db.example:6543/ops"
    code, output = db("backup", "nightly.dump", "--database-url", url)
    assert code == 0, output
    assert (
        "pg_dump --host db.example --port 6543 --username opsbot --format custom "
        "--file nightly.dump ops"
    ) in output
    code, output = db("restore", "nightly.dump", "--database-url", url)
    assert code == 0 and "pg_restore" in output and "--dbname ops nightly.dump" in output
    assert "s3cret" not in output
    assert not Path("nightly.dump").exists()  # printed, never run
