"""Order exports sent in chat (and by `opsbot ingest file`): read, pick the store, preview,
confirm.

Reading happens off the event loop: the file is downloaded to a temporary file, hashed and
parsed in a thread (``bot.marketplace.parse_export``, streamed), and removed again; only the
per-day values go on, into the upload's draft in the FSM data (``bot.domain.upload_draft``). A
plan file (the plan template's header) is recognised and handed back to plan import.

The preview is ``bot.services.ingest.check_items`` over the file's days for the chosen store;
Confirm is ``apply_items`` with source ``import:<format>`` and detail ``"<file> sha256:<hex>"``,
in the caller's transaction. When the stored numbers moved since the preview (its digest
differs), the caller rolls back and shows the fresh preview instead.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
import tempfile
import zipfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.file_names import extension
from bot.domain.plan_campaigns import CAMPAIGN_SHEET_NAMES
from bot.domain.plan_file import file_kind
from bot.domain.plan_reader import PLAN_COLUMNS, PLAN_SHEET_NAMES, WEIGHT_SHEET_NAMES
from bot.domain.text_norm import normalize
from bot.domain.upload_draft import ParsedFile, UploadDraft, UploadPreview, day_items
from bot.i18n import Translator
from bot.marketplace import ExportError, ParsedExport, parse_export
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services import ingest
from bot.services.scope import Scope, StoreCatalog, scope_of
from storage.models import Member, Store

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # Telegram's limit for files downloaded by bots
PLAN_FILE_LIMIT_MB = 5
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")
PLAN_IMPORTERS = frozenset({Role.MANAGER, Role.ADMIN})

Fetch = Callable[[Path], Awaitable[bool]]  # writes the upload to the path; False: failed


@dataclass(frozen=True)
class Refusal:
    """Why a file is not imported: ``code`` is an ``ingest.error.*`` key suffix."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Upload:
    """What reading an upload gave: an export, a plan file (its bytes), or a refusal."""

    kind: Literal["export", "plan", "refused"]
    parsed: ParsedFile | None = None
    plan_content: bytes | None = None
    refusal: Refusal | None = None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def precheck(file_name: str, size: int | None) -> Refusal | None:
    """What can be refused before downloading: the size Telegram reports, the file type."""
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        return Refusal(
            "too_big",
            {
                "size": _megabytes(size),
                "limit": _megabytes(MAX_DOWNLOAD_BYTES),
                "plan_limit": str(PLAN_FILE_LIMIT_MB),
            },
        )
    lowered = file_name.lower()
    if lowered.endswith(".xls"):
        return Refusal("old_xls")
    if not lowered.endswith(SPREADSHEET_SUFFIXES):
        return Refusal("wrong_type")
    return None


# --- reading -------------------------------------------------------------------------------------


async def read_upload(fetch: Fetch, file_name: str, org: OrgConfig, now: datetime) -> Upload:
    """Download (``fetch``) into a temporary file, then hash and parse it in a thread."""
    with tempfile.TemporaryDirectory(prefix="opsbot-upload-") as folder:
        path = Path(folder) / ("upload" + extension(file_name))
        if not await fetch(path):
            return Upload("refused", refusal=Refusal("download_failed"))
        return await asyncio.to_thread(read_file, path, file_name, org, now)


def read_file(path: Path, file_name: str, org: OrgConfig, now: datetime) -> Upload:
    """Synchronous and streamed: for a thread, or the command line."""
    try:
        size = path.stat().st_size
    except OSError as error:
        log.info("upload unreadable name=%s error=%s", file_name, error)
        return Upload("refused", refusal=Refusal("unreadable", {"reason": str(error)}))
    if size > MAX_DOWNLOAD_BYTES * 10:  # the command line has no Telegram limit; keep a sane one
        return Upload("refused", refusal=Refusal("too_big_cli", {"size": _megabytes(size)}))
    try:
        export = parse_export(path, file_name, org, now)
    except ExportError as error:
        if error.code == "unknown_header" and looks_like_plan(path, file_name):
            return Upload("plan", plan_content=path.read_bytes())
        code = error.code
        if code in ("unknown_header", "empty") and _not_a_workbook(path, file_name):
            code = "not_spreadsheet"  # named .xlsx, but neither a workbook nor an old .xls
        log.info("export refused name=%s code=%s", file_name, code)
        params = {str(k): str(v) for k, v in (error.params or {}).items()}
        return Upload("refused", refusal=Refusal(code, params))
    return Upload("export", parsed=parsed_file(export, file_name, sha256_of(path)))


def _not_a_workbook(path: Path, file_name: str) -> bool:
    if not file_name.lower().endswith((".xlsx", ".xlsm")):
        return False
    return not zipfile.is_zipfile(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parsed_file(export: ParsedExport, file_name: str, sha256: str) -> ParsedFile:
    return ParsedFile(
        file_name=file_name,
        sha256=sha256,
        format=export.format,
        platform=export.platform,
        date_order=export.date_order,
        days=tuple((day, dict(values)) for day, values in export.days),
        open_days=tuple(export.open_days),
        bad_rows=tuple((bad.row, str(bad.reason)) for bad in export.bad_rows[:10]),
        bad_count=len(export.bad_rows),
        rows_read=export.rows_read,
        store=export.store,
    )


def _header_is_plan(cells: Sequence[object]) -> bool:
    names = {normalize(str(c)) for c in cells if c is not None and str(c).strip()}
    found = {key for key, aliases in PLAN_COLUMNS.items() if names & aliases}
    return len(found) >= 2


def looks_like_plan(path: Path, file_name: str) -> bool:
    """The plan template's sheets or header (store, metric, month, target columns)."""
    try:
        if file_kind(file_name) == "csv":
            return _csv_is_plan(path)
        return _xlsx_is_plan(path)
    except Exception:  # a damaged file is the export reader's to explain
        return False


def _csv_is_plan(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(64 * 1024).decode("utf-8-sig", errors="replace")
    line = next((x for x in head.splitlines() if x.strip()), "")
    delimiter = ";" if line.count(";") > line.count(",") else ","
    return _header_is_plan(next(csv.reader(io.StringIO(line), delimiter=delimiter), []))


def _xlsx_is_plan(path: Path) -> bool:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        names = {normalize(name) for name in book.sheetnames}
        if names & (PLAN_SHEET_NAMES | WEIGHT_SHEET_NAMES | CAMPAIGN_SHEET_NAMES):
            return True
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(max_row=5, values_only=True):
            if any(c is not None and str(c).strip() for c in row):
                return _header_is_plan(row)
        return False
    finally:
        book.close()


# --- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreChoice:
    """The stores the file may go to: one (chosen), several (ask), none (``unknown`` names
    the store the file named, if it named one)."""

    stores: tuple[Store, ...]
    unknown: str | None = None


def _find(stores: Sequence[Store], code: str) -> Store | None:
    wanted = normalize(code)
    return next((s for s in stores if normalize(s.code) == wanted), None)


def choose_store(
    stores: Sequence[Store], parsed: ParsedFile, code: str | None = None
) -> StoreChoice:
    """``code`` (the CLI's ``--store``), else the store the file names, else the stores of the
    file's platform among ``stores`` (the member's scope: out of scope reads as unknown)."""
    named = code or parsed.store
    if named:
        store = _find(stores, named)
        return StoreChoice((store,)) if store else StoreChoice((), unknown=named)
    platform = normalize(parsed.platform)
    return StoreChoice(tuple(s for s in stores if normalize(s.platform) == platform))


async def member_stores(
    session: AsyncSession, member: Member, catalog: StoreCatalog | None = None
) -> tuple[Store, ...]:
    scope: Scope = await scope_of(session, member, catalog)
    return scope.stores


async def pickable_store(
    session: AsyncSession, member: Member, draft: UploadDraft, store_id: str
) -> Store | None:
    """The store a pick button stands for, if it was offered and is still in scope."""
    if not store_id.isdigit() or int(store_id) not in draft.choices:
        return None
    stores = await member_stores(session, member)
    return next((s for s in stores if s.id == int(store_id)), None)


# --- preview and confirm -------------------------------------------------------------------------


async def member_scope(
    session: AsyncSession, org: OrgConfig, member: Member, now: datetime
) -> ingest.IngestScope:
    return await ingest.member_scope(session, org, member, now)


EVERYTHING = ingest.IngestScope(store_ids=None, earliest_day=None)


async def preview(
    session: AsyncSession,
    org: OrgConfig,
    parsed: ParsedFile,
    store: str,
    scope: ingest.IngestScope,
    *,
    now: datetime,
    t: Translator,
) -> UploadPreview:
    """What Confirm would write; nothing is written."""
    items = day_items(parsed, store)
    results = await ingest.check_items(session, org, items, scope, now, t)
    return UploadPreview(parsed, store, tuple(results))


@dataclass(frozen=True)
class Applied:
    """``preview``: what was written; ``moved``: the stored numbers changed since the preview
    was shown (nothing may be kept: the caller rolls back and shows ``preview`` again)."""

    preview: UploadPreview
    moved: bool


async def apply(
    session: AsyncSession,
    org: OrgConfig,
    parsed: ParsedFile,
    store: str,
    scope: ingest.IngestScope,
    *,
    actor_id: int | None,
    expected_digest: str | None,
    now: datetime,
    t: Translator,
) -> Applied:
    """Write the file's days for ``store`` in the caller's transaction."""
    items = day_items(parsed, store)
    results = await ingest.apply_items(
        session,
        org,
        items,
        scope,
        source=parsed.source,
        detail=parsed.detail,
        actor_id=actor_id,
        now=now,
        t=t,
    )
    done = UploadPreview(parsed, store, tuple(results))
    moved = expected_digest is not None and done.digest != expected_digest
    log.info(
        "export import store=%s format=%s days=%d moved=%s by=%s",
        store,
        parsed.format,
        len(done.written),
        moved,
        actor_id,
    )
    return Applied(done, moved)
