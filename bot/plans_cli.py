"""`opsbot plan import|template` and `opsbot export`: plans and exports from the command line.

They act for nobody in particular, so they see everything (``everything_scope``); plan changes
are recorded with source "cli". Messages are in English; workbooks in the org's language.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli_support import fail, with_org_and_db

if TYPE_CHECKING:
    from bot.domain.months import YearMonth
    from bot.org.schema import OrgConfig
    from storage.database import Database

plan_app = typer.Typer(
    help="Monthly plans: import a plan file, write a template.", no_args_is_help=True
)

T = TypeVar("T")
_TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _month_option(text: str | None, option: str = "--month") -> YearMonth | None:
    from bot.domain.months import parse_month

    if text is None:
        return None
    month = parse_month(text)
    if month is None:
        raise fail(f"{option} must be a month such as 2026-12, got {text!r}")
    return month


@plan_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="the plan file, .xlsx or .csv")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and preview only; save nothing")
    ] = False,
    month: Annotated[
        str | None, typer.Option(help="month for rows without one, e.g. 2026-12")
    ] = None,
) -> None:
    """Check a plan file, print its problems or its preview, and save it (one transaction)."""
    from bot.clock import SystemClock
    from bot.i18n import Translator
    from bot.services import plans as service
    from bot.services.scope import everything_scope
    from bot.views.plans import preview_text, problems_text

    default_month = _month_option(month)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}") from None
    t = Translator("en")

    async def work(org: OrgConfig, database: Database) -> tuple[int, list[str]]:
        async with database.session_factory() as session, session.begin():
            scope = await everything_scope(session)
            check = await service.check_plan_file(
                session, org, scope, file.name, content, default_month=default_month
            )
            if check.preview is None:
                text = problems_text(
                    file.name, check.problems, t, html=False, max_shown=0, max_chars=0
                )
                return 1, [text]
            lines = [_plain(preview_text(org, file.name, check.preview, t, buttons=False))]
            if dry_run or not check.preview.has_changes:
                lines.append("dry run: nothing saved" if dry_run else "nothing saved")
                return 0, lines
            outcome = await service.apply_preview(
                session,
                org,
                scope,
                check.preview,
                member_id=None,
                now=SystemClock().now(),
                source="cli",
            )
            if not outcome.ok:
                await session.rollback()
                return 1, [*lines, "the plans changed while importing; nothing saved, run it again"]
            counts = check.preview.counts
            lines.append(_plain(t("plan.import.applied", **counts)))
            return 0, lines

    code, lines = with_org_and_db(work, sync=True)
    for line in lines:
        typer.echo(line)
    if code:
        raise typer.Exit(code)


@plan_app.command("template")
def template_command(
    out: Annotated[Path, typer.Option(help="where to write the .xlsx")],
    month: Annotated[str | None, typer.Option(help="default: next month")] = None,
) -> None:
    """Write a plan template for every store and person (current targets filled in)."""
    from bot.clock import SystemClock
    from bot.domain.months import YearMonth
    from bot.i18n import Translator
    from bot.services.plan_template import build_plan_template
    from bot.services.scope import everything_scope

    chosen = _month_option(month)

    async def work(org: OrgConfig, database: Database) -> str:
        target = chosen or YearMonth.of(SystemClock().now().astimezone(org.tz).date()).next()
        async with database.session_factory() as session:
            scope = await everything_scope(session)
            template = await build_plan_template(
                session, org, scope, target, Translator(org.default_locale)
            )
        out.write_bytes(template.content)
        return (
            f"template for {target} ({template.stores} stores, {template.people} people) "
            f"written to {out}"
        )

    typer.echo(with_org_and_db(work, sync=True))


def export_command(
    month: Annotated[str, typer.Option(help="the month, e.g. 2026-11")],
    out: Annotated[Path, typer.Option(help="where to write the .xlsx")],
) -> None:
    """Write the month's daily values, plans and attainment (everything) as an .xlsx file."""
    from bot.clock import SystemClock
    from bot.i18n import Translator
    from bot.services.export import ExportRequest, build_export, is_future
    from bot.services.reporting import default_business_date
    from bot.services.scope import everything_scope

    chosen = _month_option(month)
    assert chosen is not None

    async def work(org: OrgConfig, database: Database) -> tuple[int, str]:
        now = SystemClock().now()
        if is_future(chosen, now.astimezone(org.tz).date()):
            return 1, f"{chosen} has not started yet: nothing to export"
        async with database.session_factory() as session:
            scope = await everything_scope(session)
            latest = default_business_date(org, now)
            request = ExportRequest(org, scope, chosen, latest, Translator(org.default_locale))
            export = await build_export(session, request)
        if export is None:
            return 1, f"no numbers or plans in {chosen}: nothing written"
        out.write_bytes(export.content)
        return 0, f"{chosen}: {export.rows} rows in {', '.join(export.sheets)} written to {out}"

    code, text = with_org_and_db(work, sync=True)
    typer.echo(text)
    if code:
        raise typer.Exit(code)
