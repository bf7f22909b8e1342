"""The org file's ``campaigns`` section: sales campaigns with their stores, budget and targets.

A campaign covers stores and/or whole brands over a date range (both days included); store
values on those days count toward its targets. Owners are Telegram usernames ("@lan") or
numeric Telegram ids: members are not declared in the org file, so they are resolved when the
closing summary goes out (an owner who has not joined is skipped and logged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Annotated, Self

from pydantic import Field, field_validator, model_validator

from bot.domain.numbers import NumberError, parse_number
from bot.org.fields import Code, MetricKey, Strict, Text, Unit

if TYPE_CHECKING:
    from bot.org.references import ReferenceProblem
    from bot.org.schema import OrgConfig

_OWNER_RE = re.compile(r"^(@[A-Za-z0-9_]{3,64}|[0-9]{3,20})$")

Owner = Annotated[str, Field(description='a Telegram username ("@lan") or a Telegram id')]


class Campaign(Strict):
    code: Code
    name: Text
    start: date
    end: date
    stores: tuple[Code, ...] = ()
    brands: tuple[Code, ...] = ()
    budget: float | None = Field(default=None, ge=0)
    targets: Mapping[MetricKey, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    owners: tuple[Owner, ...] = ()

    @field_validator("budget", mode="before")
    @classmethod
    def _budget_text(cls, value: object) -> object:
        return _vietnamese_number(value, "money")

    @field_validator("targets", mode="before")
    @classmethod
    def _target_texts(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {key: _vietnamese_number(v, "money") for key, v in value.items()}
        return value

    @field_validator("owners")
    @classmethod
    def _owner_format(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for owner in value:
            if _OWNER_RE.match(owner) is None:
                raise ValueError(
                    f'owner {owner!r} is neither a Telegram username such as "@lan_hs" '
                    "nor a numeric Telegram id"
                )
        return value

    @model_validator(mode="after")
    def _dates_and_cover(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not self.stores and not self.brands:
            raise ValueError("a campaign covers at least one store or brand (stores: or brands:)")
        return self

    def store_codes(self, org: OrgConfig) -> tuple[str, ...]:
        """The stores it covers: those listed and every store of the brands listed."""
        codes = dict.fromkeys(self.stores)
        for brand in self.brands:
            codes.update(dict.fromkeys(s.code for s in org.stores_of_brand(brand)))
        return tuple(codes)


def _vietnamese_number(value: object, unit: Unit) -> object:
    """ "50tr", "1,2 tỷ" as typed in chat; plain YAML numbers pass through."""
    if not isinstance(value, str):
        return value
    try:
        return parse_number(value, unit)
    except NumberError:
        raise ValueError(f'expected a number such as "50tr" or 50000000, got {value!r}') from None


def campaign_problems(org: OrgConfig) -> list[ReferenceProblem]:
    """Duplicate codes and unknown stores, brands and metrics, each at its own path."""
    from bot.org.references import ReferenceProblem, suggest

    stores = {s.code for s in org.stores}
    brands = {b.code for b in org.brands}
    metrics = {m.key for m in org.metrics}
    problems: list[ReferenceProblem] = []
    seen: dict[str, int] = {}
    for index, campaign in enumerate(org.campaigns):
        if campaign.code in seen:
            problems.append(
                ReferenceProblem(
                    ("campaigns", index, "code"),
                    f"duplicate campaign code {campaign.code!r}",
                    f"already used by campaigns[{seen[campaign.code]}]; codes must be unique",
                )
            )
        seen.setdefault(campaign.code, index)
        checks = (
            ("stores", "store", campaign.stores, stores),
            ("brands", "brand", campaign.brands, brands),
        )
        for section, what, values, known in checks:
            for position, value in enumerate(values):
                if value not in known:
                    problems.append(
                        ReferenceProblem(
                            ("campaigns", index, section, position),
                            f"unknown {what} {value!r}",
                            suggest(value, known),
                            (section,),
                        )
                    )
        for key in campaign.targets:
            if key not in metrics:
                problems.append(
                    ReferenceProblem(
                        ("campaigns", index, "targets", key),
                        f"unknown metric {key!r}",
                        suggest(key, metrics),
                        ("metrics",),
                    )
                )
    codes = set(seen)
    for index, rule in enumerate(org.alert_rules):
        wanted = getattr(rule, "campaign", None)
        if isinstance(wanted, str) and wanted not in codes:
            problems.append(
                ReferenceProblem(
                    ("alert_rules", index, "campaign"),
                    f"unknown campaign {wanted!r}",
                    suggest(wanted, codes) or "declare it under campaigns: in this file",
                    ("campaigns",),
                )
            )
    return problems
