"""The collector's settings for a long-running process with an event loop.

What is loaded at start (aiogram's and pydantic's models, the org file, FastAPI...) lives as long
as the process: frozen, the collector's full passes no longer walk it (unfrozen, a pass stopped
the loop for ~0.4 s under load; bench/kpi_bench.py). Full passes are then also made rarer: each
still walks every object of the updates in flight, 8–25 ms with twenty /kpi at once, and the
default thresholds ran one every few hundred milliseconds of such load.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 7_000  # allocations between young passes (CPython's default: 700)
MIDDLE_THRESHOLD = 10
OLD_THRESHOLD = 100  # middle passes between full passes (default: 10)


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
