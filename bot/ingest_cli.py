"""`opsbot ingest file FILE [--store CODE] [--dry-run]`: an order export from the command line.

The same reader, preview and write as an upload in chat (``bot.services.ingest_upload``), for
an operator: every store, any past day, no Telegram size limit. Revisions get the source
``import:<format>`` and the file's name and SHA-256. Messages are in English. Exit code 0 when
the file was read (and saved, unless ``--dry-run``), 2 for anything that stops it.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_support import fail, with_org_and_db

if TYPE_CHECKING:
    from bot.domain.upload_draft import ParsedFile
    from bot.org.schema import OrgConfig
    from storage.database import Database
    from storage.models import Store

ingest_app = typer.Typer(
    help="Numbers without typing: import a marketplace order export.", no_args_is_help=True
)
_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _store_for(stores: tuple[Store, ...], parsed: ParsedFile, code: str | None) -> Store | str:
    """The store to import into, or why there is none (a one-line error)."""
    from bot.domain.text_norm import normalize
    from bot.services.ingest_upload import choose_store

    choice = choose_store(stores, parsed, code)
    if choice.unknown is not None:
        known = ", ".join(s.code for s in stores) or "none"
        return f"unknown store {choice.unknown!r} (active stores: {known})"
    if not choice.stores:
        return f"no active store on platform {parsed.platform!r}: pass --store CODE"
    if len(choice.stores) > 1:
        codes = ", ".join(s.code for s in choice.stores)
        return f"several {parsed.platform} stores ({codes}): pass --store CODE"
    store = choice.stores[0]
    if code and normalize(store.platform) != normalize(parsed.platform):
        return f"{store.code} is a {store.platform} store; the file is a {parsed.platform} export"
    return store


@ingest_app.command("file")
def file_command(
    file: Annotated[Path, typer.Argument(help="the export: .xlsx or .csv")],
    store: Annotated[
        str | None,
        typer.Option(
            help="store code (default: the file's store, or the only one on its platform)"
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="read and preview only; save nothing")
    ] = False,
) -> None:
    """Read an order export, print its preview, and save it (one transaction)."""
    from bot.clock import SystemClock
    from bot.i18n import Translator
    from bot.services import ingest_upload as service
    from bot.services.scope import everything_scope
    from bot.views.ingest import applied_text, preview_text, refusal_text

    t = Translator("en")

    async def work(org: OrgConfig, database: Database) -> tuple[int, list[str]]:
        now = SystemClock().now()
        upload = await asyncio.to_thread(service.read_file, file, file.name, org, now)
        if upload.kind == "plan":
            return 2, [f"{file.name} is a plan file: use `opsbot plan import {file}`"]
        if upload.parsed is None:
            refusal = upload.refusal or service.Refusal("other")
            return 2, [_plain(refusal_text(file.name, refusal.code, refusal.params, t))]
        parsed = upload.parsed
        async with database.session_factory() as session, session.begin():
            chosen = _store_for((await everything_scope(session)).stores, parsed, store)
            if isinstance(chosen, str):
                return 2, [chosen]
            preview = await service.preview(
                session, org, parsed, chosen.code, service.EVERYTHING, now=now, t=t
            )
            lines = [_plain(preview_text(org, preview, t, buttons=False))]
            if dry_run:
                return 0, [*lines, "dry run: nothing saved"]
            if not preview.has_changes:
                return 0, lines
            applied = await service.apply(
                session,
                org,
                parsed,
                chosen.code,
                service.EVERYTHING,
                actor_id=None,
                expected_digest=None,
                now=now,
                t=t,
            )
            return 0, [*lines, _plain(applied_text(applied.preview, t))]

    code, lines = with_org_and_db(work, sync=True)
    for line in lines:
        if code:
            raise fail(line, code)
        typer.echo(line)
