"""Checks across the sections of the org file: duplicate codes, unknown references, formula
cycles, alias clashes.

They run once the sections are valid on their own, so that each problem keeps its own path in
the file (``loc``) and a hint ("did you mean 'HS-SHOPEE'?").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from bot.org.campaigns import campaign_problems
from bot.org.import_formats import BUILTIN_FORMATS
from bot.org.sections import BaseMetric, DerivedMetric, Form, normalize_alias

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig

# Validation context key: when present (a list), reference problems are appended to it instead
# of being raised, so the loader can report each one at its own line.
REFERENCE_SINK = "org_reference_problems"

Loc: TypeAlias = tuple[str | int, ...]


@dataclass(frozen=True)
class ReferenceProblem:
    """A problem found across sections; ``loc`` points into the file like a pydantic error."""

    loc: Loc
    message: str
    hint: str | None = None
    # Other sections the verdict relies on: if one of them is broken, the problem may be spurious.
    relies_on: tuple[str, ...] = ()


def loc_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


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
    problems += _connected_problems(org)
    problems += _import_format_problems(org)
    problems += campaign_problems(org)
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
    for position, key in enumerate(org.plans.metrics or ()):
        loc: Loc = ("plans", "metrics", position)
        if (problem := _base_metric_problem(org, loc, key, "plans take", "plan")) is not None:
            problems.append(problem)
    problems += _repeats(("plans", "metrics"), list(org.plans.metrics or ()), "plan metric")
    dates = [c.date for c in org.plans.campaign_days]
    problems += _repeats(("plans", "campaign_days"), dates, "campaign day", "date")
    days = [str(p.day) for p in org.plans.paydays]
    problems += _repeats(("plans", "paydays"), days, "payday", "day")
    return problems


def _connected_problems(org: OrgConfig) -> list[ReferenceProblem]:
    """``sources.connected``: known store codes, each store once, data due by the reminder."""
    codes = {s.code for s in org.stores}
    first: dict[str, Loc] = {}
    problems = []
    for index, entry in enumerate(org.sources.connected):
        for position, code in enumerate(entry.stores):
            loc: Loc = ("sources", "connected", index, "stores", position)
            if code not in codes:
                problems.append(_unknown(loc, "store", code, codes, ("stores",)))
            elif code in first:
                hint = f"already listed at {loc_text(first[code])}; a store has one source"
                problems.append(ReferenceProblem(loc, f"store {code!r} is listed twice", hint))
            first.setdefault(code, loc)
        reminder = org.schedules.reminder
        if entry.expected_by is not None and entry.expected_by > reminder:
            problems.append(
                ReferenceProblem(
                    ("sources", "connected", index, "expected_by"),
                    f"expected_by {entry.expected_by:%H:%M} is after the reminder at "
                    f"{reminder:%H:%M}",
                    "the reminder tells the owner the data has not arrived: expect it by "
                    "schedules.reminder at the latest",
                )
            )
    return problems


def _import_format_problems(org: OrgConfig) -> list[ReferenceProblem]:
    """``sources.formats``: every metric an export is mapped to is a base metric of the org (a
    mapped key it does not define would be dropped at every import, silently)."""
    formats = org.sources.formats
    where: Loc = ("sources", "formats")
    mapped: list[tuple[Loc, str]] = []
    for name in BUILTIN_FORMATS:
        given = getattr(formats.metrics, name).given()
        mapped += [((*where, "metrics", name, n), k) for n, k in given.items() if k is not None]
    for index, declared in enumerate(formats.declared):
        at: Loc = (*where, "declared", index)
        mapped += [((*at, "values", key), key) for key in declared.values]
        given = declared.metrics.given()
        mapped += [((*at, "metrics", n), k) for n, k in given.items() if k is not None]
    found = (_base_metric_problem(org, loc, key, "imports write", "import") for loc, key in mapped)
    return [problem for problem in found if problem is not None]


def _base_metric_problem(
    org: OrgConfig, loc: Loc, key: str, who_takes: str, verb: str
) -> ReferenceProblem | None:
    """``key`` is not a base metric of the org: unknown, or derived (``verb`` its inputs)."""
    metric = org.metric(key)
    if isinstance(metric, DerivedMetric):
        return ReferenceProblem(
            loc,
            f"{key!r} is derived ({metric.formula}); {who_takes} base metrics only",
            f"{verb} {', '.join(sorted(metric.formula.variables))} instead",
            ("metrics",),
        )
    if metric is None:
        return _unknown(loc, "metric", key, {m.key for m in org.base_metrics}, ("metrics",))
    return None


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
