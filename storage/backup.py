"""Copies of the database: SQLite's online backup while the bot runs, a checked restore, and
the ``pg_dump`` / ``pg_restore`` commands for PostgreSQL (printed, never run).

Backup copies a consistent snapshot page by page through ``sqlite3.Connection.backup`` in one
step: in WAL mode the bot's writers go on meanwhile (a reader never blocks them) and the copy
holds exactly the transactions committed when it started. The copy is turned into a single
self-contained file (rollback journal, no ``-wal``) and checked before it replaces ``FILE``.

Restore refuses a file that is not a SQLite database, fails SQLite's quick check or carries no
schema revision this code knows (``alembic_version``); it refuses while any process has the
target open, keeps the previous database as ``<target>.bak`` (copied through the backup API,
so its WAL is included) and puts the new file in place with one rename.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0
# The "dead man switch" byte of a WAL database's -shm file: every connection that has the
# database open holds a shared lock on it (SQLite's unix VFS, os_unix.c UNIX_SHM_DMS).
SHM_DMS_OFFSET = 128


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    revision: str | None


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database. In-memory is an error."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BackupError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up or restore")
    return Path(parsed.database)


def postgres_command(url: str, tool: str, file: Path) -> str:
    """The ``pg_dump`` (or ``pg_restore``) command for the URL's database, without a password:
    it comes from ``PGPASSWORD`` or ``~/.pgpass`` as usual."""
    parsed = make_url(url)
    parts = [tool]
    if parsed.host:
        parts += ["--host", parsed.host]
    if parsed.port:
        parts += ["--port", str(parsed.port)]
    if parsed.username:
        parts += ["--username", parsed.username]
    database = parsed.database or parsed.username or "postgres"
    if tool == "pg_dump":
        parts += ["--format", "custom", "--file", str(file), database]
    else:
        parts += ["--clean", "--if-exists", "--no-owner", "--dbname", database, str(file)]
    return " ".join(_quoted(part) for part in parts)


def _quoted(part: str) -> str:
    safe = part and all(c.isalnum() or c in "-_./:=@+," for c in part)
    return part if safe else "'" + part.replace("'", "'\\''") + "'"


# --- backup -------------------------------------------------------------------------------------


async def backup(source: Path, target: Path, *, overwrite: bool = False) -> Copied:
    """``backup_file`` on a worker thread, so a running event loop keeps serving."""
    return await asyncio.to_thread(backup_file, source, target, overwrite=overwrite)


def backup_file(source: Path, target: Path, *, overwrite: bool = False) -> Copied:
    """A consistent copy of the SQLite database ``source`` at ``target``, while it is in use."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist: nothing to back up")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} already exists: choose another name or add --force")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup file cannot be the database itself")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    partial = target.with_name(f".{target.name}.partial")
    try:
        _copy(source, partial)
        revision = _check(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(target, target.stat().st_size, revision)


def _copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    reader = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)  # all pages in one step: one consistent snapshot
            writer.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            writer.commit()
        finally:
            writer.close()
    finally:
        reader.close()
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())


# --- checks -------------------------------------------------------------------------------------


def _check(path: Path) -> str | None:
    """The schema revision of a sound SQLite database file; BackupError otherwise."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a SQLite database")
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite quick check: {verdict})")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from None
    return None if row is None else str(row[0])


def in_use(database: Path) -> bool:
    """Whether another process has the WAL database open (it holds the -shm file's lock).

    Call it only from a process that does not have the database open itself: POSIX locks
    belong to the process, and closing this probe would drop that process's own locks.
    """
    shm = database.with_name(database.name + "-shm")
    if not shm.exists():
        return False
    try:
        import fcntl
    except ImportError:  # not a POSIX system: a -wal file means a connection is (or was) open
        return database.with_name(database.name + "-wal").exists()
    with shm.open("rb+") as handle:
        try:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_OFFSET)
        except OSError:
            return True
        fcntl.lockf(handle.fileno(), fcntl.LOCK_UN, 1, SHM_DMS_OFFSET)
    return False


# --- restore ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    target: Path
    revision: str
    previous: Path | None  # the replaced database, kept as <target>.bak


def restore_file(backup_path: Path, target: Path, known_revisions: set[str]) -> Restored:
    """Put ``backup_path`` in place of the SQLite database ``target`` (see the module doc)."""
    if not backup_path.is_file():
        raise BackupError(f"{backup_path} does not exist")
    if target.exists() and backup_path.resolve() == target.resolve():
        raise BackupError("the backup file is the database itself: nothing to restore")
    revision = _check(backup_path)
    if revision is None:
        raise BackupError(f"{backup_path} is a SQLite database but not an opsbot one (no schema)")
    if revision not in known_revisions:
        raise BackupError(
            f"{backup_path} has schema revision {revision}, unknown to this version of opsbot"
            " (made by a newer one?)"
        )
    if in_use(target):
        raise BackupError(f"{target} is in use: stop the bot (and every opsbot command) first")
    incoming = target.with_name(f".{target.name}.restoring")
    previous: Path | None = None
    try:
        _copy(backup_path, incoming)
        if target.exists():
            previous = target.with_name(target.name + ".bak")
            previous.unlink(missing_ok=True)
            _copy(target, previous)  # through SQLite: what is still in its WAL is kept too
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(incoming, target)
    finally:
        incoming.unlink(missing_ok=True)
    return Restored(target, revision, previous)
