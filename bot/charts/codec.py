"""Chart inputs as JSON, so a chart can be queued in the outbox and drawn when it is sent.

A write that opens many alerts at once (an import, an API push of a hundred stores) queues
each alert's chart as its data instead of drawing it inside the write's transaction; the
sender draws it in the chart worker just before the call.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from bot.charts.data import AlertChart, ChartLabels

QUEUED_KINDS = ("alert",)


def chart_to_json(kind: str, data: AlertChart) -> dict[str, Any]:
    if kind != "alert":
        raise ValueError(f"chart kind {kind!r} cannot be queued")
    raw = asdict(data)
    raw["days"] = [d.isoformat() for d in data.days]
    raw["breached"] = [d.isoformat() for d in data.breached]
    return {"kind": kind, "data": raw}


def chart_from_json(spec: Any) -> tuple[str, AlertChart]:
    """(kind, chart input) from ``chart_to_json``'s output; ValueError when it is malformed."""
    if not isinstance(spec, dict) or spec.get("kind") not in QUEUED_KINDS:
        raise ValueError("not a queued chart")
    raw = spec.get("data")
    if not isinstance(raw, dict):
        raise ValueError("a queued chart needs its data")
    try:
        chart = AlertChart(
            title=str(raw["title"]),
            subtitle=str(raw["subtitle"]),
            metric_label=str(raw["metric_label"]),
            days=tuple(date.fromisoformat(d) for d in raw["days"]),
            values=tuple(_number(v) for v in raw["values"]),
            targets=tuple(_number(v) for v in raw["targets"]),
            breached=tuple(date.fromisoformat(d) for d in raw["breached"]),
            locale=str(raw["locale"]),
            labels=ChartLabels(**raw["labels"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"queued chart data is incomplete: {exc}") from None
    return str(spec["kind"]), chart


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    return float(value)
