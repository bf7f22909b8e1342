"""The org file as pydantic models: ``OrgConfig``, the whole file, and its lookups.

Every model forbids unknown keys so that a typo ("nmae:") is reported instead of silently
ignored. Structure is validated field by field (``bot.org.fields``, ``bot.org.sections``);
references between sections (a store's brand, a form's metrics, formula variables...) are
checked in one pass afterwards (``bot.org.references``) so that each problem keeps its own path
in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationInfo, field_validator, model_validator

from bot.domain.derived_metrics import evaluation_order
from bot.org.campaigns import Campaign
from bot.org.fields import Locale, Strict, Text
from bot.org.references import REFERENCE_SINK, find_reference_problems, loc_text
from bot.org.sections import (
    AlertRule,
    AlertRuleItem,
    BaseMetric,
    Brand,
    Chats,
    Department,
    DerivedMetric,
    Form,
    Metric,
    MetricItem,
    OrderType,
    PlanSettings,
    ReportSettings,
    Schedules,
    Store,
)
from bot.org.service_kpi import RecognitionSettings, ServiceKpiSettings
from bot.org.sources import Sources

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class OrgConfig(Strict):
    name: Text | None = None
    timezone: str = DEFAULT_TIMEZONE
    default_locale: Locale = "vi"
    report: ReportSettings = ReportSettings()
    departments: tuple[Department, ...] = ()
    brands: tuple[Brand, ...] = ()
    stores: tuple[Store, ...] = ()
    metrics: tuple[MetricItem, ...] = ()
    forms: tuple[Form, ...] = ()
    alert_rules: tuple[AlertRuleItem, ...] = ()
    order_types: tuple[OrderType, ...] = ()
    schedules: Schedules = Schedules()
    chats: Chats = Chats()
    plans: PlanSettings = PlanSettings()
    sources: Sources = Sources()
    service_kpi: ServiceKpiSettings = ServiceKpiSettings()
    recognition: RecognitionSettings = RecognitionSettings()
    campaigns: tuple[Campaign, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as {DEFAULT_TIMEZONE}"
            ) from None
        return value

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> Self:
        problems = find_reference_problems(self)
        if not problems:
            return self
        sink = info.context.get(REFERENCE_SINK) if isinstance(info.context, dict) else None
        if isinstance(sink, list):
            sink.extend(problems)
            return self
        raise ValueError("; ".join(f"{loc_text(p.loc)}: {p.message}" for p in problems))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        # Cached indexes live in the instance __dict__ and would describe the original.
        for name, member in type(self).__dict__.items():
            if isinstance(member, cached_property):
                copied.__dict__.pop(name, None)
        return copied

    # --- lookups used at runtime ---

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _metrics_by_key(self) -> dict[str, Metric]:
        return {m.key: m for m in self.metrics}

    @cached_property
    def _stores_by_code(self) -> dict[str, Store]:
        return {s.code: s for s in self.stores}

    @cached_property
    def _departments_by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def _brands_by_code(self) -> dict[str, Brand]:
        return {b.code: b for b in self.brands}

    @cached_property
    def _forms_by_department(self) -> dict[str, Form]:
        return {f.department: f for f in self.forms}

    @property
    def base_metrics(self) -> tuple[BaseMetric, ...]:
        return tuple(m for m in self.metrics if isinstance(m, BaseMetric))

    @property
    def derived_metrics(self) -> tuple[DerivedMetric, ...]:
        return tuple(m for m in self.metrics if isinstance(m, DerivedMetric))

    def metric(self, key: str) -> Metric | None:
        return self._metrics_by_key.get(key)

    def store(self, code: str) -> Store | None:
        return self._stores_by_code.get(code)

    def department(self, code: str) -> Department | None:
        return self._departments_by_code.get(code)

    def brand(self, code: str) -> Brand | None:
        return self._brands_by_code.get(code)

    def form_for_department(self, code: str) -> Form | None:
        return self._forms_by_department.get(code)

    def stores_of_department(self, code: str) -> tuple[Store, ...]:
        return tuple(s for s in self.stores if s.department == code)

    def stores_of_brand(self, code: str) -> tuple[Store, ...]:
        return tuple(s for s in self.stores if s.brand == code)

    def alert_rule(self, rule_id: str) -> AlertRule | None:
        return next((r for r in self.alert_rules if r.id == rule_id), None)

    def order_type(self, code: str) -> OrderType | None:
        return next((t for t in self.order_types if t.code == code), None)

    def campaign(self, code: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.code == code), None)

    @cached_property
    def derived_order(self) -> tuple[DerivedMetric, ...]:
        """Derived metrics in an order where each one's inputs are computed before it (kept:
        every row with derived values needs it)."""
        return evaluation_order(self.derived_metrics)
