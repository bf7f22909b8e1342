"""The org file as pydantic models.

Every model forbids unknown keys so that a typo ("nmae:") is reported instead of silently
ignored. Structure is validated field by field; references between sections (a store's brand, a
form's metrics, formula variables...) are checked in one pass afterwards
(``find_reference_problems``) so that each problem keeps its own path in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import cached_property
from typing import Annotated, Any, Literal, NamedTuple, Self, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.org.formula import Comparison, Formula, FormulaError

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Validation context key: when present (a list), reference problems are appended to it instead
# of being raised, so the loader can report each one at its own line.
REFERENCE_SINK = "org_reference_problems"

Loc: TypeAlias = tuple[str | int, ...]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- scalar types -------------------------------------------------------------------------------

_HHMM_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError('expected a time of day such as "10:30" (quote it in YAML)')
    match = _HHMM_RE.match(value.strip())
    if match is None:
        raise ValueError(f'expected HH:MM such as "10:30", got {value!r}')
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise ValueError(f"hour must be 00-23, got {hour} in {value!r}")
    if minute > 59:
        raise ValueError(f"minute must be 00-59, got {minute} in {value!r}")
    return time(hour, minute)


def _format_clock_time(value: time) -> str:
    return value.strftime("%H:%M")


ClockTime = Annotated[
    time,
    PlainValidator(parse_clock_time),
    PlainSerializer(_format_clock_time, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$"}),
]


class WeeklyTime(NamedTuple):
    weekday: int  # Monday is 0, as in date.weekday()
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {_format_clock_time(self.at)}"


class MonthlyTime(NamedTuple):
    day: int
    at: time

    def __str__(self) -> str:
        return f"{self.day} {_format_clock_time(self.at)}"


def _split_day_and_time(value: object, example: str) -> tuple[str, time]:
    if not isinstance(value, str) or len(value.split()) != 2:
        raise ValueError(f'expected "{example}", got {value!r}')
    day, at = value.split()
    return day.lower(), parse_clock_time(at)


def _parse_weekly(value: object) -> WeeklyTime:
    if isinstance(value, WeeklyTime):
        return value
    day, at = _split_day_and_time(value, "mon 09:00")
    if day not in WEEKDAYS:
        raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}, got {day!r}")
    return WeeklyTime(WEEKDAYS.index(day), at)


def _parse_monthly(value: object) -> MonthlyTime:
    if isinstance(value, MonthlyTime):
        return value
    day, at = _split_day_and_time(value, "1 09:00")
    # Days past 28 would silently skip February.
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ValueError(f"day of month must be 1-28, got {day!r}")
    return MonthlyTime(int(day), at)


WeeklyAt = Annotated[
    WeeklyTime,
    PlainValidator(_parse_weekly),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
MonthlyAt = Annotated[
    MonthlyTime,
    PlainValidator(_parse_monthly),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def _parse_formula(value: object) -> Formula:
    if isinstance(value, Formula):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a formula such as: gmv / orders")
    try:
        return Formula.parse(value)
    except FormulaError as exc:
        raise ValueError(f"invalid formula {value!r}: {exc}") from None


def _parse_comparison(value: object) -> Comparison:
    if isinstance(value, Comparison):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a check such as: nmv <= gmv")
    try:
        return Comparison.parse(value)
    except FormulaError as exc:
        raise ValueError(f"invalid check {value!r}: {exc}") from None


FormulaField = Annotated[
    Formula,
    PlainValidator(_parse_formula),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
ComparisonField = Annotated[
    Comparison,
    PlainValidator(_parse_comparison),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]

Code = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="letters, digits, '-', '_' or '.', at most 64 characters",
    ),
]
# Metric keys appear in formulas, so they must be valid formula names.
MetricKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Platform = Literal["shopee", "tiktok", "lazada", "tiki", "pos", "web", "other"]
Unit = Literal["money", "count", "percent", "hours", "number"]
Locale = Literal["vi", "en"]
Severity = Literal["info", "warning", "critical"]
Recipient = Literal["owners", "manager", "bod"]
FieldType = Literal["text", "choice", "number", "money", "date", "store", "photo", "file", "link"]


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _parse_working_days(value: object) -> object:
    """Accept a list of weekdays or a range such as "mon..fri"."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if ".." not in text:
        return [text]
    first, _, last = (part.strip() for part in text.partition(".."))
    if first not in WEEKDAYS or last not in WEEKDAYS:
        raise ValueError(f'expected a range such as "mon..fri", got {value!r}')
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
    if start > end:
        raise ValueError(f"range {value!r} runs backwards")
    return list(WEEKDAYS[start : end + 1])


# --- sections -----------------------------------------------------------------------------------


class LocalizedText(Strict):
    """A text in both languages. A plain string in the file is used for both."""

    vi: Text
    en: Text

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"vi": value, "en": value} if isinstance(value, str) else value

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class ReportSettings(Strict):
    deadline: ClockTime = time(10, 30)
    covers: Literal["previous_day", "same_day"] = "previous_day"
    backfill_days_staff: int = Field(default=7, ge=0, le=366)
    backfill_days_manager: int = Field(default=31, ge=0, le=366)
    grace_hours: float = Field(default=2, ge=0, le=24)
    working_days: Annotated[tuple[Weekday, ...], BeforeValidator(_parse_working_days)] = WEEKDAYS
    holidays: tuple[date, ...] = ()

    @field_validator("working_days")
    @classmethod
    def _some_working_day(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            raise ValueError("at least one working day is needed")
        return tuple(sorted(set(value), key=WEEKDAYS.index))

    def is_working_day(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.working_days and day not in self.holidays


class Department(Strict):
    code: Code
    name: LocalizedText


class Brand(Strict):
    code: Code
    name: Text


class Store(Strict):
    code: Code
    name: Text
    brand: Code
    platform: Platform
    department: Code = Field(description="the department that reports for this store")


class BaseMetric(Strict):
    key: MetricKey
    label: LocalizedText
    unit: Unit
    aliases: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    # The word shown after a count when echoing it, e.g. "85 đơn".
    unit_label: LocalizedText | None = None
    min: Number | None = None
    max: Number | None = None
    required: bool = True
    integer: bool = False

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    @property
    def derived(self) -> bool:
        return False


class DerivedMetric(Strict):
    key: MetricKey
    label: LocalizedText
    unit: Unit
    formula: FormulaField

    @property
    def derived(self) -> bool:
        return True


def _metric_kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "derived" if "formula" in value else "base"
    return "derived" if isinstance(value, DerivedMetric) else "base"


Metric: TypeAlias = BaseMetric | DerivedMetric
MetricItem = Annotated[
    Annotated[BaseMetric, Tag("base")] | Annotated[DerivedMetric, Tag("derived")],
    Discriminator(_metric_kind),
]


class FormMetric(Strict):
    """A metric of a form. ``required`` overrides the metric's own default for this form."""

    key: MetricKey
    required: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"key": value} if isinstance(value, str) else value


class Form(Strict):
    department: Code
    per: Literal["store", "person"]
    metrics: tuple[FormMetric, ...] = Field(min_length=1)
    cross_checks: tuple[ComparisonField, ...] = ()

    @property
    def code(self) -> str:
        """Forms are identified by their department (one form per department)."""
        return self.department

    @property
    def metric_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.metrics)


class _RuleBase(Strict):
    id: Code
    severity: Severity = "warning"
    recipients: Annotated[tuple[Recipient, ...], BeforeValidator(_one_or_many)] = Field(
        default=("owners", "manager"), min_length=1
    )
    escalate_after_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)


class _MetricRule(_RuleBase):
    metric: MetricKey


class PacingRule(_MetricRule):
    """Month-to-date actual below ``threshold`` percent of the month-to-date plan."""

    type: Literal["pacing"]
    threshold: float = Field(gt=0, le=1000)


class DailyRule(_MetricRule):
    """A single day's value below (or above) ``threshold``."""

    type: Literal["daily"]
    threshold: Number
    direction: Literal["below", "above"] = "below"


class RatioBandRule(_MetricRule):
    """A (usually derived) value outside the band [low, high]."""

    type: Literal["ratio_band"]
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _band(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) is greater than high ({self.high:g})")
        return self


class AnomalyRule(_MetricRule):
    """A day more than ``drop`` percent below the median of the previous ``window_days``."""

    type: Literal["anomaly"]
    drop: float = Field(gt=0, le=100)
    window_days: int = Field(default=7, ge=2, le=90)
    # The median of the last ``window_days`` days, or of the same weekday within them.
    baseline: Literal["last_days", "same_weekday"] = "last_days"


class MissingDataRule(_RuleBase):
    """No value (or no report at all when ``metric`` is omitted) for ``days`` days in a row."""

    type: Literal["missing_data"]
    metric: MetricKey | None = None
    days: int = Field(default=1, ge=1, le=31)


AlertRule: TypeAlias = PacingRule | DailyRule | RatioBandRule | AnomalyRule | MissingDataRule
AlertRuleItem = Annotated[AlertRule, Field(discriminator="type")]


class OrderField(Strict):
    key: MetricKey
    label: LocalizedText
    type: FieldType
    required: bool = True
    choices: tuple[Text, ...] | None = None
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs a non-empty list of choices")
        if self.type != "choice" and self.choices is not None:
            raise ValueError(f"choices only apply to choice fields, not {self.type}")
        if self.type not in ("number", "money") and (self.min is not None or self.max is not None):
            raise ValueError(f"min/max only apply to number and money fields, not {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class Sla(Strict):
    lead_time_hours: float = Field(default=0, ge=0, le=24 * 365)
    approve_within_hours: float = Field(default=24, gt=0, le=24 * 365)
    deliver_within_hours: float = Field(default=72, gt=0, le=24 * 365)


class OrderType(Strict):
    code: Code
    name: LocalizedText
    department: Code
    fields: tuple[OrderField, ...] = Field(min_length=1)
    sla: Sla = Sla()


class Schedules(Strict):
    reminder: ClockTime = time(10, 30)
    nudge: ClockTime | None = None
    escalation: ClockTime = time(11, 0)
    alerts: ClockTime | None = None  # KPI alert evaluation; default: the escalation time
    daily_digest: ClockTime = time(11, 15)
    weekly_digest: WeeklyAt = WeeklyTime(0, time(9, 0))
    monthly_digest: MonthlyAt = MonthlyTime(1, time(9, 0))
    order_summary: ClockTime = time(9, 0)  # morning queue of order requests to managers

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.nudge is not None and self.nudge >= self.reminder:
            raise ValueError("nudge must come before reminder")
        if self.escalation <= self.reminder:
            raise ValueError("escalation must come after reminder")
        if self.alerts is not None and self.alerts <= self.reminder:
            raise ValueError("alerts must come after reminder (the report deadline)")
        return self

    @property
    def alerts_at(self) -> time:
        return self.alerts or self.escalation


class Chats(Strict):
    bod: int | None = None


def _parse_campaign_date(value: object) -> str:
    """A campaign day: "11-11" (every year) or "2026-11-11" (that year only)."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError('expected a date such as "11-11" (every year) or "2026-11-11"')
    text = value.strip()
    parts = text.split("-")
    try:
        if len(parts) == 2:
            date(2024, int(parts[0]), int(parts[1]))  # a leap year: "02-29" is a real day
            return f"{int(parts[0]):02d}-{int(parts[1]):02d}"
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a day of the calendar") from None
    raise ValueError(f'expected "MM-DD" such as "11-11" or "YYYY-MM-DD", got {value!r}')


CampaignDate = Annotated[
    str, PlainValidator(_parse_campaign_date), WithJsonSchema({"type": "string"})
]
DayWeight = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class CampaignDay(Strict):
    """A double-day sale such as 11.11: that day weighs ``weight`` normal days."""

    date: CampaignDate
    weight: DayWeight
    name: Text | None = None


class Payday(Strict):
    """Payday each month (a day past the month's end falls on its last day)."""

    day: int = Field(ge=1, le=31)
    weight: DayWeight


class PlanSettings(Strict):
    """Monthly plans: which base metrics take a target, and the default day weights.

    ``metrics`` defaults to the base metrics of the per-store forms. A campaign day's weight
    replaces the payday weight on the same day; a plan file may override both.
    """

    metrics: tuple[MetricKey, ...] | None = None
    campaign_days: tuple[CampaignDay, ...] = ()
    paydays: tuple[Payday, ...] = ()


# --- the whole file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceProblem:
    """A problem found across sections; ``loc`` points into the file like a pydantic error."""

    loc: Loc
    message: str
    hint: str | None = None
    # Other sections the verdict relies on: if one of them is broken, the problem may be spurious.
    relies_on: tuple[str, ...] = ()


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
        raise ValueError("; ".join(f"{_loc_text(p.loc)}: {p.message}" for p in problems))

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

    def is_required(self, form: Form, key: str) -> bool:
        """Whether ``key`` must be answered in ``form`` (the form may override the metric)."""
        for item in form.metrics:
            if item.key == key:
                if item.required is not None:
                    return item.required
                metric = self.metric(key)
                return metric.required if isinstance(metric, BaseMetric) else False
        return False

    @cached_property
    def alias_index(self) -> dict[str, str]:
        """Normalised alias (and key) -> base metric key, for reading free-text reports."""
        index: dict[str, str] = {}
        for metric in self.base_metrics:
            for alias in (metric.key, *metric.aliases):
                index.setdefault(normalize_alias(alias), metric.key)
        return index

    def metric_for_alias(self, text: str) -> BaseMetric | None:
        key = self.alias_index.get(normalize_alias(text))
        metric = self.metric(key) if key else None
        return metric if isinstance(metric, BaseMetric) else None

    @cached_property
    def derived_order(self) -> tuple[DerivedMetric, ...]:
        """Derived metrics in an order where each one's inputs are computed before it."""
        derived = {m.key: m for m in self.derived_metrics}
        ordered: list[DerivedMetric] = []
        done: set[str] = set()

        def visit(metric: DerivedMetric) -> None:
            if metric.key in done:
                return
            done.add(metric.key)  # cycles are rejected at validation, this only stops recursion
            for name in sorted(metric.formula.variables):
                if name in derived:
                    visit(derived[name])
            ordered.append(metric)

        for metric in self.derived_metrics:
            visit(metric)
        return tuple(ordered)

    def compute_derived(self, values: Mapping[str, float]) -> dict[str, float | None]:
        """Every derived metric from base ``values``; None where it cannot be computed."""
        known: dict[str, float] = dict(values)
        result: dict[str, float | None] = {}
        for metric in self.derived_order:
            value = metric.formula.evaluate(known)
            result[metric.key] = value
            if value is not None:
                known[metric.key] = value
        return result

    def is_working_day(self, day: date) -> bool:
        return self.report.is_working_day(day)


def normalize_alias(text: str) -> str:
    return " ".join(text.casefold().split())


def _loc_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --- cross-section checks -----------------------------------------------------------------------


def suggest(word: str, candidates: Iterable[str], *, list_known: bool = True) -> str | None:
    """'did you mean ...?' for a near miss, otherwise the valid values (if few enough)."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if not options or not list_known:
        return None
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"known: {shown}"


def find_reference_problems(org: OrgConfig) -> list[ReferenceProblem]:
    problems: list[ReferenceProblem] = []
    problems += _duplicates("departments", [d.code for d in org.departments], "department code")
    problems += _duplicates("brands", [b.code for b in org.brands], "brand code")
    problems += _duplicates("stores", [s.code for s in org.stores], "store code", field="code")
    problems += _duplicates("metrics", [m.key for m in org.metrics], "metric key", field="key")
    problems += _duplicates("alert_rules", [r.id for r in org.alert_rules], "rule id", field="id")
    problems += _duplicates("order_types", [t.code for t in org.order_types], "order type")
    problems += _store_references(org)
    problems += _metric_problems(org)
    problems += _form_problems(org)
    problems += _alert_rule_problems(org)
    problems += _order_type_problems(org)
    problems += _plan_problems(org)
    return problems


def _duplicates(
    section: str, values: list[str], what: str, *, field: str = "code"
) -> list[ReferenceProblem]:
    first_seen: dict[str, int] = {}
    problems = []
    for index, value in enumerate(values):
        if value in first_seen:
            problems.append(
                ReferenceProblem(
                    (section, index, field),
                    f"duplicate {what} {value!r}",
                    f"already used by {section}[{first_seen[value]}]; codes must be unique",
                )
            )
        else:
            first_seen[value] = index
    return problems


def _unknown(
    loc: Loc, what: str, value: str, known: Iterable[str], relies_on: tuple[str, ...] = ()
) -> ReferenceProblem:
    return ReferenceProblem(loc, f"unknown {what} {value!r}", suggest(value, known), relies_on)


def _store_references(org: OrgConfig) -> list[ReferenceProblem]:
    brands = {b.code for b in org.brands}
    departments = {d.code for d in org.departments}
    problems = []
    for index, store in enumerate(org.stores):
        if store.brand not in brands:
            problems.append(
                _unknown(("stores", index, "brand"), "brand", store.brand, brands, ("brands",))
            )
        if store.department not in departments:
            problems.append(
                _unknown(
                    ("stores", index, "department"),
                    "department",
                    store.department,
                    departments,
                    ("departments",),
                )
            )
    return problems


def _metric_problems(org: OrgConfig) -> list[ReferenceProblem]:
    keys = {m.key for m in org.metrics}
    problems = []
    for index, metric in enumerate(org.metrics):
        if isinstance(metric, DerivedMetric):
            for name in sorted(metric.formula.variables - keys):
                problems.append(
                    _unknown(("metrics", index, "formula"), "metric in formula", name, keys)
                )
    problems += _formula_cycles(org)
    problems += _alias_clashes(org)
    return problems


def _formula_cycles(org: OrgConfig) -> list[ReferenceProblem]:
    derived = {m.key: m for m in org.derived_metrics}
    positions = {m.key: i for i, m in enumerate(org.metrics)}
    problems = []
    for key in derived:
        path = _cycle_from(key, derived)
        if path is not None:
            problems.append(
                ReferenceProblem(
                    ("metrics", positions[key], "formula"),
                    f"formula of {key!r} depends on itself: {' -> '.join(path)}",
                    "derived metrics must be computable from base metrics",
                )
            )
    return problems


def _cycle_from(start: str, derived: Mapping[str, DerivedMetric]) -> list[str] | None:
    """The dependency path from ``start`` back to itself, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        key, path = stack.pop()
        for name in sorted(derived[key].formula.variables):
            if name == start:
                return [*path, name]
            if name in derived and name not in seen:
                seen.add(name)
                stack.append((name, [*path, name]))
    return None


def _alias_clashes(org: OrgConfig) -> list[ReferenceProblem]:
    owner: dict[str, str] = {normalize_alias(m.key): m.key for m in org.metrics}
    problems = []
    for index, metric in enumerate(org.metrics):
        if not isinstance(metric, BaseMetric):
            continue
        for alias_index, alias in enumerate(metric.aliases):
            other = owner.setdefault(normalize_alias(alias), metric.key)
            if other != metric.key:
                problems.append(
                    ReferenceProblem(
                        ("metrics", index, "aliases", alias_index),
                        f"alias {alias!r} is already used by metric {other!r}",
                        "an alias must name exactly one metric",
                    )
                )
    return problems


def _form_problems(org: OrgConfig) -> list[ReferenceProblem]:
    departments = {d.code for d in org.departments}
    first_form: dict[str, int] = {}
    problems = []
    for index, form in enumerate(org.forms):
        if form.department not in departments:
            problems.append(
                _unknown(
                    ("forms", index, "department"),
                    "department",
                    form.department,
                    departments,
                    ("departments",),
                )
            )
        elif form.department in first_form:
            problems.append(
                ReferenceProblem(
                    ("forms", index, "department"),
                    f"department {form.department!r} already has a form",
                    f"merge it into forms[{first_form[form.department]}]: "
                    "each department has at most one form",
                )
            )
        first_form.setdefault(form.department, index)
        problems += _form_metric_problems(org, index, form)
    return problems


def _form_metric_problems(org: OrgConfig, index: int, form: Form) -> list[ReferenceProblem]:
    base = {m.key for m in org.base_metrics}
    problems = []
    seen: set[str] = set()
    for position, item in enumerate(form.metrics):
        loc: Loc = ("forms", index, "metrics", position)
        metric = org.metric(item.key)
        if isinstance(metric, DerivedMetric):
            problems.append(
                ReferenceProblem(
                    loc,
                    f"{item.key!r} is derived ({metric.formula}); forms only ask for base metrics",
                    f"remove it: it is computed from {', '.join(sorted(metric.formula.variables))}",
                    ("metrics",),
                )
            )
        elif metric is None:
            problems.append(_unknown(loc, "metric", item.key, base, ("metrics",)))
        elif item.key in seen:
            problems.append(ReferenceProblem(loc, f"metric {item.key!r} is listed twice"))
        seen.add(item.key)
    in_form = set(form.metric_keys)
    for position, check in enumerate(form.cross_checks):
        for name in sorted(check.variables - in_form):
            problems.append(
                ReferenceProblem(
                    ("forms", index, "cross_checks", position),
                    f"check {check.text!r} uses {name!r}, which this form does not ask for",
                    f"form metrics: {', '.join(form.metric_keys)}",
                )
            )
    return problems


def _alert_rule_problems(org: OrgConfig) -> list[ReferenceProblem]:
    keys = {m.key for m in org.metrics}
    problems = []
    for index, rule in enumerate(org.alert_rules):
        if rule.metric is not None and rule.metric not in keys:
            problems.append(
                _unknown(
                    ("alert_rules", index, "metric"), "metric", rule.metric, keys, ("metrics",)
                )
            )
    return problems


def _order_type_problems(org: OrgConfig) -> list[ReferenceProblem]:
    departments = {d.code for d in org.departments}
    problems = []
    for index, order_type in enumerate(org.order_types):
        if order_type.department not in departments:
            problems.append(
                _unknown(
                    ("order_types", index, "department"),
                    "department",
                    order_type.department,
                    departments,
                    ("departments",),
                )
            )
        field_keys = [f.key for f in order_type.fields]
        for problem in _duplicates("fields", field_keys, "field key", field="key"):
            problems.append(ReferenceProblem(("order_types", index, *problem.loc), problem.message))
    return problems


def _plan_problems(org: OrgConfig) -> list[ReferenceProblem]:
    problems: list[ReferenceProblem] = []
    base = {m.key for m in org.base_metrics}
    for position, key in enumerate(org.plans.metrics or ()):
        loc: Loc = ("plans", "metrics", position)
        metric = org.metric(key)
        if isinstance(metric, DerivedMetric):
            problems.append(
                ReferenceProblem(
                    loc,
                    f"{key!r} is derived ({metric.formula}); plans take base metrics only",
                    f"plan {', '.join(sorted(metric.formula.variables))} instead",
                    ("metrics",),
                )
            )
        elif metric is None:
            problems.append(_unknown(loc, "metric", key, base, ("metrics",)))
    problems += _repeats(("plans", "metrics"), list(org.plans.metrics or ()), "plan metric")
    dates = [c.date for c in org.plans.campaign_days]
    problems += _repeats(("plans", "campaign_days"), dates, "campaign day", "date")
    days = [str(p.day) for p in org.plans.paydays]
    problems += _repeats(("plans", "paydays"), days, "payday", "day")
    return problems


def _repeats(
    where: Loc, values: list[str], what: str, field: str | None = None
) -> list[ReferenceProblem]:
    """A value listed again under ``where`` (each item located by its position)."""
    first_seen: dict[str, int] = {}
    problems = []
    for index, value in enumerate(values):
        if value in first_seen:
            loc: Loc = (*where, index, field) if field else (*where, index)
            hint = f"already listed at position {first_seen[value] + 1}"
            problems.append(ReferenceProblem(loc, f"duplicate {what} {value!r}", hint))
        first_seen.setdefault(value, index)
    return problems


# Tags of the tagged unions above: they appear in pydantic error locations but not in the file.
UNION_TAGS: Mapping[str, type[BaseModel]] = {
    "base": BaseMetric,
    "derived": DerivedMetric,
    "pacing": PacingRule,
    "daily": DailyRule,
    "ratio_band": RatioBandRule,
    "anomaly": AnomalyRule,
    "missing_data": MissingDataRule,
}
