"""The process's Prometheus metrics, on a registry of its own (one ``Metrics`` per process, built
by the composition root and passed to what it observes; tests build as many as they like).

Names and labels are documented in README "Deploy"; ``GET /metrics`` serves ``render()``.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
UPDATE_RESULTS = ("ok", "error", "duplicate")
SEND_RESULTS = ("ok", "429", "5xx", "403", "other")
PRIORITY_NAMES = {10: "alert", 30: "notice", 40: "escalation", 50: "reminder", 90: "digest"}
# Handler latency: most updates take a few milliseconds; a chart or an export takes seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CHART_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def priority_name(priority: int) -> str:
    return PRIORITY_NAMES.get(priority, str(priority))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "opsbot_updates",
            "Telegram updates handled, by update type and result (ok, error, duplicate).",
            ("type", "result"),
            registry=r,
        )
        self.update_seconds = Histogram(
            "opsbot_update_handler_seconds",
            "Time to handle one update, transaction included, by update type.",
            ("type",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge(
            "opsbot_outbox_depth",
            "Outbox messages waiting to be sent, by priority (read when scraped).",
            ("priority",),
            registry=r,
        )
        self.sends = Counter(
            "opsbot_sends",
            "Outbox send attempts by result (ok, 429, 5xx, 403, other).",
            ("result",),
            registry=r,
        )
        self.job_runs = Counter(
            "opsbot_job_runs",
            "Scheduled job runs by job and result (done, already_ran, failed).",
            ("job", "result"),
            registry=r,
        )
        self.chart_seconds = Histogram(
            "opsbot_chart_render_seconds",
            "Time to render one chart in the chart worker, by chart kind.",
            ("kind",),
            buckets=CHART_BUCKETS,
            registry=r,
        )
        self.sender_leader = Gauge(
            "opsbot_sender_leader",
            "1 while this process holds the outbox sender lease, else 0.",
            registry=r,
        )
        for result in SEND_RESULTS:  # present at 0 from the start: rate() needs a baseline
            self.sends.labels(result)
        for name in PRIORITY_NAMES.values():
            self.outbox_depth.labels(name).set(0)

    def update_handled(self, update_type: str, result: str, seconds: float | None) -> None:
        self.updates.labels(update_type, result).inc()
        if seconds is not None:
            self.update_seconds.labels(update_type).observe(seconds)

    def sent(self, result: str) -> None:
        self.sends.labels(result if result in SEND_RESULTS else "other").inc()

    def job_ran(self, job: str, result: str) -> None:
        self.job_runs.labels(job, result).inc()

    def chart_rendered(self, kind: str, seconds: float) -> None:
        self.chart_seconds.labels(kind).observe(seconds)

    def set_outbox_depth(self, depth: Mapping[int, int]) -> None:
        seen = {priority_name(p): 0 for p in PRIORITY_NAMES}
        for priority, count in depth.items():
            name = priority_name(priority)
            seen[name] = seen.get(name, 0) + count
        for name, count in seen.items():
            self.outbox_depth.labels(name).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
