"""Numbers that arrive without typing (file imports, the HTTP API): checked exactly like a chat
report, then written as revisions of the same reports.

``check_items`` validates and says what would happen (writes nothing); ``apply_items`` writes
the accepted items that change something, in the caller's transaction, and re-evaluates the
alerts of a day past its deadline as a late chat report does.

Rules, in order, for one item (one store, one business day):

* the store: unknown, inactive and outside the scope all get the same answer;
* the store's department must have a per-store report form;
* the day: not later than the latest complete business day (``latest_complete_day``), not
  before the scope's ``earliest_day`` (staff: their backfill window);
* each metric: one of the form's base metrics (a derived metric is computed, never sent);
* each value: finite, not negative, within the unit's sanity ceiling unless the org file sets
  a maximum, whole for integer metrics, within the metric's min and max (as the chat form);
* the form's cross-checks that involve a supplied metric, on the day's values merged with the
  stored ones (only the supplied metrics change; the others keep their values).

Messages are translated with the caller's ``Translator`` and are plain text: a view escapes
them (``bot.views.safe.user_text``) before putting them into an HTML message.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.ingest import DayValues, ItemError, ItemResult, ItemStatus, ValueChange
from bot.domain.number_format import format_value
from bot.domain.numbers import ceiling_for
from bot.domain.report_rules import (
    NOT_FINITE,
    NOT_INTEGER,
    RuleProblem,
    check_cross,
    check_value,
)
from bot.domain.report_text import FieldSpec, field_specs_for_form
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, Form
from bot.roles import Role
from bot.services.alert_recheck import recheck_after_reports
from bot.services.reporting import backfill_days, default_business_date
from storage.models import Member, Store
from storage.repositories import catalog, members, reports, rollups
from storage.repositories.reports import StaleReportError, StoredReport, ValueOrigin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestScope:
    store_ids: frozenset[int] | None  # None: every active store
    earliest_day: date | None  # None: any past day (managers, admins, API tokens)


def latest_complete_day(org: OrgConfig, now: datetime) -> date:
    """The latest business day that is over in the org timezone: yesterday (a report of the
    same day, when ``report.covers`` is ``same_day``, is still a day in progress)."""
    yesterday = now.astimezone(org.tz).date() - timedelta(days=1)
    return min(default_business_date(org, now), yesterday)


async def member_scope(
    session: AsyncSession, org: OrgConfig, member: Member, now: datetime
) -> IngestScope:
    """Staff: their own stores, within the staff backfill window; managers: their department's
    stores, any past day; bod and admin: every store, any past day."""
    role = Role(member.role)
    if role in (Role.BOD, Role.ADMIN):
        return IngestScope(None, None)
    if role is Role.MANAGER:
        if member.department_id is None:
            return IngestScope(frozenset(), None)
        stores = await catalog.list_stores(session, department_id=member.department_id)
        return IngestScope(frozenset(s.id for s in stores), None)
    own = await members.member_stores(session, member.id)
    earliest = default_business_date(org, now) - timedelta(days=backfill_days(org, role))
    return IngestScope(frozenset(s.id for s in own if s.active), earliest)


# --- evaluation --------------------------------------------------------------------------------


@dataclass
class _State:
    """What is stored for one report (or what will be, after the earlier items of the batch)."""

    revision: int
    values: dict[str, float]
    origins: dict[str, ValueOrigin] = field(default_factory=dict)


@dataclass(frozen=True)
class _Target:
    store: Store
    form: Form
    subject_key: str


@dataclass(frozen=True)
class _Verdict:
    result: ItemResult
    target: _Target | None = None
    to_write: Mapping[str, float] = field(default_factory=dict)


class _Batch:
    """The stores, forms and stored reports a list of items needs, read once."""

    def __init__(self, org: OrgConfig, scope: IngestScope, now: datetime, t: Translator) -> None:
        self.org, self.scope, self.t = org, scope, t
        self.latest = latest_complete_day(org, now)
        self.stores: dict[str, Store] = {}
        self.by_id: dict[int, Store] = {}
        self.states: dict[tuple[str, date], _State] = {}

    async def load(self, session: AsyncSession, items: Sequence[DayValues]) -> None:
        active = await catalog.list_stores(session)
        self.stores = {s.code.casefold(): s for s in active}
        self.by_id = {s.id: s for s in active}
        keys = {
            self._subject(s)
            for s in (self.stores.get(i.store.strip().casefold()) for i in items)
            if s is not None
        }
        days = [i.day for i in items]
        if not keys or not days:
            return
        await self.reload(session, sorted(keys), min(days), max(days))

    async def reload(
        self, session: AsyncSession, keys: Sequence[str], first: date, last: date
    ) -> None:
        stored = await reports.current_reports(session, keys, first, last)
        origins = await reports.value_origins(session, [r.id for r in stored.values()])
        for (key, form, day), report in stored.items():
            if self._form_code(key) == form:
                self.states[(key, day)] = _state(report, origins.get(report.id, {}))

    def _subject(self, store: Store) -> str:
        return f"store:{store.id}"

    def _form_code(self, subject_key: str) -> str | None:
        store = self.by_id.get(int(subject_key.split(":", 1)[1]))
        form = self._form(store) if store else None
        return form.code if form else None

    def _form(self, store: Store) -> Form | None:
        config = self.org.store(store.code)
        form = self.org.form_for_department(config.department) if config else None
        return form if form is not None and form.per == "store" else None

    def state(self, target: _Target, day: date) -> _State:
        return self.states.get((target.subject_key, day)) or _State(0, {})

    # --- one item ---

    def evaluate(self, item: DayValues) -> _Verdict:
        t = self.t
        store = self.stores.get(item.store.strip().casefold())
        if store is None or (
            self.scope.store_ids is not None and store.id not in self.scope.store_ids
        ):
            return _rejected(item, None, t("ingest_values.unknown_store", store=item.store))
        form = self._form(store)
        if form is None:
            return _rejected(item, None, t("ingest_values.no_form", store=store.code))
        if item.day > self.latest:
            text = t("ingest_values.open_day", day=_day(item.day), latest=_day(self.latest))
            return _rejected(item, None, text)
        earliest = self.scope.earliest_day
        if earliest is not None and item.day < earliest:
            text = t("ingest_values.too_old", day=_day(item.day), earliest=_day(earliest))
            return _rejected(item, None, text)
        if not item.values:
            return _rejected(item, None, t("ingest_values.empty"))
        target = _Target(store, form, self._subject(store))
        errors = self._value_errors(item, target)
        if errors:
            return _Verdict(ItemResult(item.store, item.day, "rejected", None, tuple(errors)))
        return self._outcome(item, target)

    def _value_errors(self, item: DayValues, target: _Target) -> list[ItemError]:
        specs = {s.key: s for s in field_specs_for_form(self.org, target.form.code)}
        valid = ", ".join(specs)
        errors: list[ItemError] = []
        for key, value in item.values.items():
            metric = self.org.metric(key)
            if key not in specs or not isinstance(metric, BaseMetric):
                message_key = (
                    "ingest_values.derived"
                    if metric is not None and metric.derived
                    else "ingest_values.unknown_metric"
                )
                text = self.t(message_key, metric=key, store=target.store.code, valid=valid)
                errors.append(ItemError(key, text))
                continue
            problem = self._value_problem(specs[key], metric, value)
            if problem is not None:
                errors.append(ItemError(key, problem))
        if errors:
            return errors
        merged = {**self.state(target, item.day).values, **item.values}
        involved = [c for c in target.form.cross_checks if not c.variables.isdisjoint(item.values)]
        for failed in check_cross(merged, involved, locale=self.t.locale):
            metric_key = next((k for k in failed.keys if k in item.values), None)
            errors.append(ItemError(metric_key, self._rule_text(failed)))
        return errors

    def _value_problem(self, spec: FieldSpec, metric: BaseMetric, value: float) -> str | None:
        """Negative and over the unit's ceiling (what the chat's number parser refuses), then
        the checks of the chat form (``check_value``: finite, whole, min and max)."""
        t = self.t
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            return self._rule_text(RuleProblem(NOT_FINITE, {"field": spec.key}))
        # As sent, not rounded: "85.5" must not read as "86" in the message.
        shown = format_value(value, spec.unit, t.locale)
        label = metric.label.get(t.locale)
        if value < 0:
            return t("ingest_values.negative", field=label, value=shown)
        if metric.max is None and value > ceiling_for(metric.unit):
            return t("ingest_values.too_large", field=label, value=shown)
        if spec.integer and not value.is_integer():
            return self._rule_text(RuleProblem(NOT_INTEGER, {"field": spec.key, "value": shown}))
        problem = check_value(spec, value, metric.min, metric.max, locale=t.locale)
        return self._rule_text(problem) if problem is not None else None

    def _rule_text(self, problem: RuleProblem) -> str:
        """The problem in words, metric keys shown as their labels (plain text)."""
        params = dict(problem.params)
        for name, value in problem.params.items():
            metric = self.org.metric(value) if isinstance(value, str) else None
            if metric is not None:
                params[name] = metric.label.get(self.t.locale)
        return self.t(f"rule.{problem.message_key}", **params)

    def _outcome(self, item: DayValues, target: _Target) -> _Verdict:
        state = self.state(target, item.day)
        changes: list[ValueChange] = []
        unchanged: list[str] = []
        for key, value in item.values.items():
            new = float(value) + 0.0  # -0.0 is 0
            old = state.values.get(key)
            if old is not None and old == new:
                unchanged.append(key)
                continue
            origin = state.origins.get(key) if old is not None else None
            changes.append(
                ValueChange(
                    key,
                    old,
                    new,
                    origin.by if origin else None,
                    origin.source if origin else None,
                )
            )
        if not changes:
            revision = state.revision or None
            result = ItemResult(
                item.store, item.day, "unchanged", revision, unchanged=tuple(unchanged)
            )
            return _Verdict(result, target)
        status: ItemStatus = "created" if state.revision == 0 else "updated"
        result = ItemResult(
            item.store,
            item.day,
            status,
            state.revision + 1,
            changes=tuple(changes),
            unchanged=tuple(unchanged),
        )
        return _Verdict(result, target, {c.metric: c.new for c in changes})

    def settle(
        self, verdict: _Verdict, day: date, revision: int, by: str | None, source: str | None
    ) -> None:
        """Remember a written item for the later items of the batch; when only checking
        (``source`` None) the would-be values, with no known origin."""
        assert verdict.target is not None
        state = self.state(verdict.target, day)
        values = {**state.values, **verdict.to_write}
        origins = {k: v for k, v in state.origins.items() if k not in verdict.to_write}
        if source is not None:
            origins.update({k: ValueOrigin(by, source, None) for k in verdict.to_write})
        self.states[(verdict.target.subject_key, day)] = _State(revision, values, origins)


def _state(report: StoredReport, origins: Mapping[str, ValueOrigin]) -> _State:
    return _State(report.revision, dict(report.values), dict(origins))


def _rejected(item: DayValues, metric: str | None, message: str) -> _Verdict:
    return _Verdict(
        ItemResult(item.store, item.day, "rejected", None, (ItemError(metric, message),))
    )


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- the two use cases -------------------------------------------------------------------------


async def check_items(
    session: AsyncSession,
    org: OrgConfig,
    items: Sequence[DayValues],
    scope: IngestScope,
    now: datetime,
    t: Translator,
) -> list[ItemResult]:
    """What ``apply_items`` would do with these items, in order; writes nothing. An item for a
    store and day that an earlier item of the list already changes is judged after it."""
    batch = _Batch(org, scope, now, t)
    await batch.load(session, items)
    results = []
    for item in items:
        verdict = batch.evaluate(item)
        if verdict.to_write and verdict.result.revision is not None:
            batch.settle(verdict, item.day, verdict.result.revision, None, None)
        results.append(verdict.result)
    return results


async def apply_items(
    session: AsyncSession,
    org: OrgConfig,
    items: Sequence[DayValues],
    scope: IngestScope,
    *,
    source: str,
    detail: str | None,
    actor_id: int | None,
    now: datetime,
    t: Translator,
) -> list[ItemResult]:
    """Check the items, then write each accepted item that changes something as a revision
    (``source``, ``detail``) in the caller's transaction; a rejected or unchanged item writes
    nothing. Days past their deadline re-evaluate that store's alerts afterwards."""
    batch = _Batch(org, scope, now, t)
    await batch.load(session, items)
    actor = await reports.member_name(session, actor_id)
    results: list[ItemResult] = []
    written: set[tuple[int, date]] = set()
    # One sorted rollup write at the end: concurrent imports over the same days can't deadlock.
    async with rollups.batched(session):
        for item in items:
            verdict = batch.evaluate(item)
            if verdict.to_write:
                verdict = await _write(session, batch, item, verdict, source, detail, actor_id, now)
                if verdict.to_write and verdict.target is not None:
                    batch.settle(verdict, item.day, verdict.result.revision or 0, actor, source)
                    written.add((verdict.target.store.id, item.day))
            results.append(verdict.result)
    if written:
        await recheck_after_reports(session, org, sorted(written), now)
    return results


async def _write(
    session: AsyncSession,
    batch: _Batch,
    item: DayValues,
    verdict: _Verdict,
    source: str,
    detail: str | None,
    actor_id: int | None,
    now: datetime,
) -> _Verdict:
    """Save one accepted item; when someone saved the same report in between, read it again,
    judge the item again and retry once."""
    for attempt in (1, 2):
        target = verdict.target
        if not verdict.to_write or target is None:
            return verdict
        expected = batch.state(target, item.day).revision
        try:
            _, revision, _ = await reports.save_report(
                session,
                subject_key=target.subject_key,
                store_id=target.store.id,
                member_id=None,
                form=target.form.code,
                business_date=item.day,
                values=verdict.to_write,
                expected_revision=expected,
                actor_id=actor_id,
                now=now,
                source=source,
                detail=detail,
            )
        except StaleReportError:
            log.info("ingest: %s %s changed meanwhile (attempt %d)", item.store, item.day, attempt)
            batch.states.pop((target.subject_key, item.day), None)
            await batch.reload(session, [target.subject_key], item.day, item.day)
            verdict = batch.evaluate(item)
            continue
        if revision != verdict.result.revision:  # only if the state read was already stale
            verdict = replace(verdict, result=replace(verdict.result, revision=revision))
        return verdict
    message = batch.t("ingest_values.conflict")
    return _Verdict(ItemResult(item.store, item.day, "rejected", None, (ItemError(None, message),)))
