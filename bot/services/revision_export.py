"""The "value history" sheet of the monthly export (a sheet source of ``bot.services.export``):
every revision of the reports in the member's scope for the month, with its source (typed in
chat, a file import and its file, the API and its token)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.export_request import ExportRequest
from bot.services.xlsx import Column, Sheet, plain_text
from bot.views.revision_sources import source_text
from storage.repositories import reports


async def revisions_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """One row per changed value: day, store (or person), revision, metric, old and new value,
    when, by whom, and where it came from."""
    t, org, scope = request.t, request.org, request.scope
    stores = {s.id: s for s in scope.stores}
    member_ids = None if scope.everything else sorted(scope.member_ids)
    rows = await reports.revisions_between(
        session, list(stores), member_ids, request.month.first_day, request.month.last_day
    )
    if not rows:
        return None
    sheet = Sheet(
        t("ingest_values.export.sheet"),
        [
            Column(t("export.col_date"), "date"),
            Column(t("ingest_values.export.col_subject")),
            Column(t("ingest_values.export.col_revision"), "count"),
            Column(t("ingest_values.export.col_metric")),
            Column(t("ingest_values.export.col_old"), "number"),
            Column(t("ingest_values.export.col_new"), "number"),
            Column(t("ingest_values.export.col_at")),
            Column(t("ingest_values.export.col_by")),
            Column(t("ingest_values.export.col_source")),
            Column(t("ingest_values.export.col_detail")),
        ],
    )
    for row in rows:
        entry = row.entry
        store = stores.get(row.store_id) if row.store_id is not None else None
        if store is None and row.person is None:
            continue  # a store outside the scope (or no longer active)
        metric = org.metric(entry.metric)
        sheet.rows.append(
            [
                row.day,
                plain_text(store.code if store is not None else row.person),
                entry.revision,
                metric.label.get(t.locale) if metric is not None else entry.metric,
                entry.old,
                entry.new,
                entry.changed_at.astimezone(org.tz).strftime("%Y-%m-%d %H:%M"),
                plain_text(entry.changed_by),
                plain_text(source_text(entry.source, entry.detail, t)),
                plain_text(entry.detail),
            ]
        )
    return sheet if sheet.rows else None
