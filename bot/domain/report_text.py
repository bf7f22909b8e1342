"""A whole daily report in one message: one ``name value`` per line.

    Doanh thu: 12,5tr
    nmv 11tr2; đơn 85
    chi phi ads = 1tr2

Names are metric keys, aliases or labels from the org file, compared without case or accents;
the longest name wins (``chi phí ads`` before ``chi phí``). Values are read by ``parse_number``
for the field's unit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.domain.metric_lookup import is_required
from bot.domain.numbers import NumberError, parse_number
from bot.domain.text_norm import normalize, normalize_with_positions
from bot.org.fields import Unit
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric

__all__ = [
    "FieldSpec",
    "LineMatch",
    "ReportTextResult",
    "field_specs_for_form",
    "looks_like_report_text",
    "match_line",
    "parse_report_text",
    "split_lines",
]

_LINE_BREAK_RE = re.compile(r"[\r\n;\u2028\u2029\x85]+")
# A dash followed by a space separates ("gmv - 12tr"); glued to digits it is a minus sign.
_NAME_VALUE_SEPARATOR_RE = re.compile(r"\s*(?:[:=：＝]|[-–—](?=\s))?\s*")
_ENUMERATION_RE = re.compile(r"\d{1,2}[.)]\s*")
_PARENTHESIS_RE = re.compile(r"\s*\([^)]*\)\s*")


@dataclass(frozen=True)
class FieldSpec:
    """One question of a report form, as far as reading text is concerned."""

    key: str
    label_vi: str
    label_en: str
    unit: Unit
    aliases: tuple[str, ...] = ()
    integer: bool = False
    required: bool = True
    maximum: float | None = None  # the org file's max; None: the unit's sanity ceiling applies

    def names(self) -> tuple[str, ...]:
        """Every name the field answers to, most specific first (key and aliases, then labels)."""
        labels = (self.label_vi, self.label_en)
        # "Doanh thu (GMV)" is also said as just "Doanh thu".
        short = tuple(_PARENTHESIS_RE.sub(" ", label).strip() for label in labels)
        return (self.key, *self.aliases, *labels, *short)


@dataclass(frozen=True)
class ReportTextResult:
    values: dict[str, float] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # lines naming no field, as typed
    errors: dict[str, NumberError] = field(default_factory=dict)  # named field, bad value
    duplicates: list[str] = field(default_factory=list)  # fields given twice (the last counts)
    missing_required: list[str] = field(default_factory=list)  # in form order


@dataclass(frozen=True)
class LineMatch:
    """A line that starts with a field's name; ``value_text`` is the rest, as typed."""

    key: str
    name: str
    value_text: str


def field_specs_for_form(org: OrgConfig, department_code: str) -> list[FieldSpec]:
    """The fields of the department's report form, in form order."""
    form = org.form_for_department(department_code)
    if form is None:
        raise LookupError(f"no report form for department {department_code!r}")
    specs = []
    for key in form.metric_keys:
        metric = org.metric(key)
        if not isinstance(metric, BaseMetric):
            continue  # the org file validation already refuses derived or unknown metrics
        specs.append(
            FieldSpec(
                key=metric.key,
                label_vi=metric.label.vi,
                label_en=metric.label.en,
                unit=metric.unit,
                aliases=metric.aliases,
                integer=metric.integer,
                required=is_required(org, form, key),
                maximum=metric.max,
            )
        )
    return specs


# --- name matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    folded: str
    key: str
    rank: int  # 0 key/alias, 1 label, 2 shortened label: a lower rank wins a tie


@lru_cache(maxsize=64)
def _name_table(fields: tuple[FieldSpec, ...]) -> tuple[_Name, ...]:
    """Names by decreasing length; a name two fields share at the same rank is dropped."""
    best: dict[str, tuple[int, set[str]]] = {}
    for spec in fields:
        names = spec.names()
        ranks = [0] * (1 + len(spec.aliases)) + [1, 1, 2, 2]
        for name, rank in zip(names, ranks, strict=True):
            folded = normalize(name)
            if not folded or not any(c.isalnum() for c in folded):
                continue
            current = best.get(folded)
            if current is None or rank < current[0]:
                best[folded] = (rank, {spec.key})
            elif rank == current[0]:
                current[1].add(spec.key)
    table = [
        _Name(folded, next(iter(keys)), rank)
        for folded, (rank, keys) in best.items()
        if len(keys) == 1  # ambiguous: neither field may claim it
    ]
    return tuple(sorted(table, key=lambda n: (-len(n.folded), n.rank, n.folded)))


def _ends_at_boundary(name: str, text: str) -> bool:
    if len(text) == len(name):
        return True
    following = text[len(name)]
    if following.isalpha():
        return False
    return not (following.isdigit() and name[-1].isdigit())


def _match_at(line: str, fields: tuple[FieldSpec, ...]) -> LineMatch | None:
    folded, positions = normalize_with_positions(line)
    for name in _name_table(fields):
        if folded.startswith(name.folded) and _ends_at_boundary(name.folded, folded):
            end = len(name.folded)
            cut = positions[end] if end < len(folded) else len(line)
            rest = line[cut:]
            separator = _NAME_VALUE_SEPARATOR_RE.match(rest)
            value = rest[separator.end() :] if separator else rest
            return LineMatch(name.key, line[:cut].strip(), value.strip())
    return None


def _starts(line: str) -> list[str]:
    """Where a name may start: as typed, after a bullet ("- ", "✓ "), after "1." or "2)"."""
    starts = [line]
    first_alnum = next((i for i, c in enumerate(line) if c.isalnum()), None)
    if first_alnum:
        starts.append(line[first_alnum:])
    enumeration = _ENUMERATION_RE.match(line[first_alnum or 0 :])
    if enumeration:
        starts.append(line[(first_alnum or 0) + enumeration.end() :])
    return starts


def match_line(line: str, fields: Sequence[FieldSpec]) -> LineMatch | None:
    """The field a line names (longest name wins) and the text of its value, or None."""
    specs = tuple(fields)
    for start in _starts(line.strip()):
        found = _match_at(start, specs)
        if found is not None:
            return found
    return None


def split_lines(text: str) -> list[str]:
    """The meaningful lines of a message: split at line breaks and ";", blank or
    punctuation-only lines left out."""
    lines = (line.strip() for line in _LINE_BREAK_RE.split(text))
    return [line for line in lines if any(c.isalnum() for c in line)]


# --- the whole message -------------------------------------------------------------------------


def parse_report_text(text: str, fields: Sequence[FieldSpec]) -> ReportTextResult:
    """Every ``name value`` line of the message, read for the given form fields."""
    specs = tuple(fields)
    by_key = {spec.key: spec for spec in specs}
    result = ReportTextResult()
    seen: set[str] = set()
    for line in split_lines(text):
        found = match_line(line, specs)
        if found is None:
            result.unknown.append(line)
            continue
        if found.key in seen and found.key not in result.duplicates:
            result.duplicates.append(found.key)
        seen.add(found.key)
        # The last occurrence decides, whether it is a value or an error.
        result.values.pop(found.key, None)
        result.errors.pop(found.key, None)
        spec = by_key[found.key]
        try:
            result.values[found.key] = parse_number(
                found.value_text, spec.unit, integer=spec.integer, maximum=spec.maximum
            )
        except NumberError as error:
            result.errors[found.key] = error
    result.missing_required.extend(
        spec.key for spec in specs if spec.required and spec.key not in seen
    )
    return result


def looks_like_report_text(text: str, fields: Sequence[FieldSpec]) -> bool:
    """True when some line names a field and carries a value (a digit after the name).

    Tells a pasted report from a single answer such as ``12,5tr``.
    """
    specs = tuple(fields)
    for line in split_lines(text):
        found = match_line(line, specs)
        if found is not None and any(c.isdigit() for c in found.value_text):
            return True
    return False
