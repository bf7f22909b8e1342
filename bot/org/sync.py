"""Bring the catalogue in the database (departments, brands, stores, campaigns) in line with the
org file.

Idempotent: loading the same file twice changes nothing. Rows missing from the file are
deactivated, never deleted, because reports, plans and members still point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from storage.repositories import campaigns, catalog, leases
from storage.repositories.campaigns import CampaignFields
from storage.repositories.catalog import UpsertOutcome


@dataclass
class EntityChanges:
    """Codes per outcome for one kind of row."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def record(self, code: str, outcome: UpsertOutcome) -> None:
        getattr(self, outcome).append(code)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.reactivated or self.deactivated)

    def summary(self) -> str:
        counts = [
            (len(self.added), "added"),
            (len(self.updated), "updated"),
            (len(self.reactivated), "reactivated"),
            (len(self.deactivated), "deactivated"),
            (len(self.unchanged), "unchanged"),
        ]
        parts = [f"{count} {label}" for count, label in counts if count]
        return ", ".join(parts) or "none"


@dataclass
class SyncReport:
    departments: EntityChanges = field(default_factory=EntityChanges)
    brands: EntityChanges = field(default_factory=EntityChanges)
    stores: EntityChanges = field(default_factory=EntityChanges)
    campaigns: EntityChanges = field(default_factory=EntityChanges)

    @property
    def changed(self) -> bool:
        return (
            self.departments.changed
            or self.brands.changed
            or self.stores.changed
            or self.campaigns.changed
        )

    def lines(self) -> list[str]:
        lines = [
            f"departments: {self.departments.summary()}",
            f"brands: {self.brands.summary()}",
            f"stores: {self.stores.summary()}",
        ]
        if self.campaigns.summary() != "none":
            lines.append(f"campaigns: {self.campaigns.summary()}")
        return lines

    def __str__(self) -> str:
        return "; ".join(self.lines())


async def sync_org(
    session: AsyncSession, org: OrgConfig, *, now: datetime | None = None
) -> SyncReport:
    """Upsert the file's catalogue and deactivate what it no longer lists. The caller commits."""
    report = SyncReport()
    # Workers started together each sync the same file: one at a time, or both would insert.
    await leases.serialise(session, "org-sync")
    department_ids = await _sync_departments(session, org, report.departments)
    brand_ids = await _sync_brands(session, org, report.brands)
    for store in org.stores:
        _, outcome = await catalog.upsert_store(
            session,
            code=store.code,
            name=store.name,
            platform=store.platform,
            brand_id=brand_ids[store.brand],
            department_id=department_ids[store.department],
        )
        report.stores.record(store.code, outcome)
    # Stores first: they reference brands and departments.
    report.stores.deactivated = await catalog.deactivate_stores_except(
        session, [s.code for s in org.stores]
    )
    report.brands.deactivated = await catalog.deactivate_brands_except(
        session, [b.code for b in org.brands]
    )
    report.departments.deactivated = await catalog.deactivate_departments_except(
        session, [d.code for d in org.departments]
    )
    await _sync_campaigns(session, org, report.campaigns, now or datetime.now(UTC))
    return report


async def _sync_campaigns(
    session: AsyncSession, org: OrgConfig, changes: EntityChanges, now: datetime
) -> None:
    """The file's campaigns; those created in chat or by a plan file are left alone."""
    for item in org.campaigns:
        fields = CampaignFields(
            code=item.code,
            name=item.name,
            start=item.start,
            end=item.end,
            store_codes=item.stores,
            brand_codes=item.brands,
            budget=item.budget,
            targets=dict(item.targets),
            owners=item.owners,
        )
        _, outcome = await campaigns.upsert(session, fields, source="org", now=now)
        changes.record(item.code, outcome)
    changes.deactivated = await campaigns.deactivate_except(
        session, "org", [c.code for c in org.campaigns]
    )


async def _sync_departments(
    session: AsyncSession, org: OrgConfig, changes: EntityChanges
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for department in org.departments:
        row, outcome = await catalog.upsert_department(
            session, code=department.code, name_vi=department.name.vi, name_en=department.name.en
        )
        ids[department.code] = row.id
        changes.record(department.code, outcome)
    return ids


async def _sync_brands(
    session: AsyncSession, org: OrgConfig, changes: EntityChanges
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for brand in org.brands:
        row, outcome = await catalog.upsert_brand(session, code=brand.code, name=brand.name)
        ids[brand.code] = row.id
        changes.record(brand.code, outcome)
    return ids
