"""The sections of the org file: departments, stores, metrics, forms, alert rules, order types,
schedules and plan settings.

Each model checks its own fields; references between sections are checked afterwards
(``bot.org.references``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Any, Literal, Self, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from bot.org.fields import (
    WEEKDAYS,
    CampaignDate,
    ClockTime,
    Code,
    ComparisonField,
    DayWeight,
    FieldType,
    FormulaField,
    MetricKey,
    MonthlyAt,
    MonthlyTime,
    Number,
    Platform,
    Recipient,
    Severity,
    Strict,
    Text,
    Unit,
    Weekday,
    WeeklyAt,
    WeeklyTime,
)


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
    # What the channel views compute ROAS (GMV / ads cost) and cost per order from.
    role: Literal["ads_cost", "orders"] | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    @property
    def derived(self) -> bool:
        return False


def normalize_alias(text: str) -> str:
    """How a metric's names are compared: case and runs of spaces do not matter."""
    return " ".join(text.casefold().split())


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
    """Month-to-date actual below ``threshold`` percent of the month-to-date plan.

    With ``campaign``: the campaign's total against its target spread over its days; on the
    cost metric (``ads_cost``) of a campaign with a budget, the budget spent ABOVE
    ``threshold`` percent of the time elapsed (burning it faster than planned)."""

    type: Literal["pacing"]
    threshold: float = Field(gt=0, le=1000)
    campaign: Code | None = None


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


def _topic_id(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"a forum topic is the topic's message_thread_id, a whole number from 1, "
            f"not {value!r} (it is the last number in a link to a message of the topic, "
            f"e.g. 12 in t.me/c/1000000001/12/345)"
        )
    return value


TopicId = Annotated[int | None, BeforeValidator(_topic_id)]


class Chats(Strict):
    """Group chats the bot posts to. A chat may name a forum topic (``<chat>_topic``): every
    message, photo and document to that chat then goes to that topic."""

    bod: int | None = None
    bod_topic: TopicId = None

    @model_validator(mode="after")
    def _topics_need_groups(self) -> Self:
        if self.bod_topic is not None and (self.bod is None or self.bod >= 0):
            raise ValueError(
                "bod_topic needs bod, the id of a group chat with topics (a negative number "
                "such as -1001000000001)"
            )
        return self

    def topic_of(self, chat_id: int) -> int | None:
        """The forum topic messages to ``chat_id`` go to (None: the chat itself)."""
        return self.bod_topic if self.bod is not None and chat_id == self.bod else None


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
