"""The KPIs of the departments that receive order requests (Media, Design, Booking…).

Who may look: the department's managers, the board and admins (``Scope.sees_department``),
as for /dept; a department outside the scope is treated as not existing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import DepartmentRow
from bot.domain.search import Candidate, search
from bot.domain.service_kpi import ServiceKpi, Window, last_weeks, service_kpi
from bot.org.schema import OrgConfig
from bot.services.scope import Scope
from storage.models import Department
from storage.repositories import catalog as catalog_repo
from storage.repositories import orders as orders_repo
from storage.repositories import service_kpi as repo

WEEKS = 8


@dataclass(frozen=True)
class ServiceView:
    department: DepartmentRow
    kpi: ServiceKpi
    names: dict[int, str]  # assignee id -> full name


def receiving_codes(org: OrgConfig) -> frozenset[str]:
    """Departments some order type is addressed to."""
    return frozenset(t.department for t in org.order_types)


def receives_requests(org: OrgConfig, department: DepartmentRow) -> bool:
    return department.code in receiving_codes(org)


async def find_service_department(
    session: AsyncSession, org: OrgConfig, scope: Scope, text: str
) -> Department | None:
    """The receiving department in scope whose code or name is ``text`` (exact code first);
    without a text, a manager's own department."""
    wanted = receiving_codes(org)
    departments = [
        d
        for d in await catalog_repo.list_departments(session)
        if d.active and d.code in wanted and scope.sees_department(d.id)
    ]
    folded = text.strip().casefold()
    if not folded:
        own = [d for d in departments if d.id in scope.department_ids]
        return own[0] if len(own) == 1 else None
    for department in departments:
        if department.code.casefold() == folded:
            return department
    candidates = [Candidate("dept", d.id, d.code, d.name_vi) for d in departments]
    candidates += [Candidate("dept", d.id, d.code, d.name_en) for d in departments]
    ids = {match.candidate.id for match in search(text, candidates)}
    if len(ids) != 1:
        return None
    return next(d for d in departments if d.id in ids)


def window_of(org: OrgConfig, now: datetime) -> Window:
    return Window(now - timedelta(days=org.service_kpi.window_days), now)


async def department_service_kpi(
    session: AsyncSession, org: OrgConfig, department: DepartmentRow, now: datetime
) -> ServiceView:
    window = window_of(org, now)
    first_week = last_weeks(now, org.tz, WEEKS)[0]
    week_start = datetime.combine(first_week, datetime.min.time(), org.tz)
    since = min(window.start, week_start)
    requests = await repo.department_requests(session, department.id, since)
    kpi = service_kpi(requests, window, org.tz, weeks=WEEKS)
    members = await orders_repo.members_by_id(session, [a.assignee_id for a in kpi.assignees])
    names = {member_id: member.full_name for member_id, member in members.items()}
    return ServiceView(department, kpi, names)


async def departments_below_on_time(
    session: AsyncSession, org: OrgConfig, now: datetime
) -> Sequence[ServiceView]:
    """Receiving departments whose on-time rate over the window is under the org's threshold
    (with at least ``min_due`` requests due, so two late ones out of three do not alert)."""
    settings = org.service_kpi
    window = window_of(org, now)
    wanted = receiving_codes(org)
    below = []
    for department in await catalog_repo.list_departments(session):
        if not department.active or department.code not in wanted:
            continue
        requests = await repo.department_requests(session, department.id, window.start)
        kpi = service_kpi(requests, window, org.tz, weeks=1)
        rate = kpi.on_time_rate
        if rate is not None and kpi.due >= settings.min_due and rate < settings.on_time_alert_below:
            below.append(ServiceView(department, kpi, {}))
    return below
