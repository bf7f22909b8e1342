"""Reading a large Shopee export: ``bot.marketplace.parse_export`` against ``pandas.read_excel``.

Generates a Shopee (Vietnamese) order export of about 50,000 lines (20,000 orders over one
month, 1-4 lines each, the real 58-column layout) to a temporary .xlsx file, then measures in
fresh subprocesses, one per run:

- opsbot: ``parse_export`` (stream, aggregate per business day), wall time and peak RSS;
- pandas: ``pandas.read_excel(path, engine="openpyxl")`` alone (the reference users would reach
  for; it does not even aggregate yet), wall time and peak RSS;
- the RSS of a process that only imported the same modules (the baseline under both);
- with ``--traced``, opsbot once more under ``tracemalloc``: the peak of Python allocations.

Targets (issue 13): under 10 s and under 300 MB peak, and faster than the pandas reference.

    python bench/ingest_bench.py [--orders 20000] [--runs 3] [--keep FILE] [--traced]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.exports import order_lines, write_shopee_vn  # noqa: E402

CHILD = r"""
import json, resource, sys, time, tracemalloc
from datetime import datetime, timezone
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
if mode in ("opsbot", "traced", "baseline_opsbot"):
    import openpyxl
    from bot.marketplace import parse_export
    from bot.org.loader import load_org
    org = load_org(Path(sys.argv[3]))
else:
    import openpyxl, pandas
result = {"baseline_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if mode.startswith("baseline"):
    print(json.dumps(result)); sys.exit()
if mode == "traced":
    tracemalloc.start()
started = time.perf_counter()
cpu_started = time.process_time()
if mode == "pandas":
    frame = pandas.read_excel(path, engine="openpyxl")
    result["rows"] = len(frame)
else:
    parsed = parse_export(path, path.name, org, datetime(2027, 1, 1, tzinfo=timezone.utc))
    result["rows"] = parsed.rows_read
    result["orders"] = sum(v.get("orders", 0) for _, v in parsed.days)
    result["days"] = len(parsed.days)
result["seconds"] = time.perf_counter() - started
result["cpu_seconds"] = time.process_time() - cpu_started
if mode == "traced":
    result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def child(mode: str, path: Path) -> dict[str, float]:
    org = ROOT / "examples" / "demo-org.yaml"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(org)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument("--traced", action="store_true", help="also a tracemalloc run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "Order.all.20261101_20261130.xlsx"
        started = time.perf_counter()
        lines = order_lines(args.orders, date(2026, 11, 1), 30, seed=2026)
        export = write_shopee_vn(path, lines, dates="iso")
        size_mb = path.stat().st_size / 2**20
        print(
            f"export: {export.lines:,} lines, {args.orders:,} orders, 30 days, "
            f"{size_mb:.1f} MB, generated in {time.perf_counter() - started:.1f} s"
        )
        expected_orders = sum(v["orders"] for v in export.expected.values())

        for mode in ("opsbot", "pandas"):
            base = child(f"baseline_{mode}", path)["baseline_mb"]
            runs = [child(mode, path) for _ in range(args.runs)]
            seconds = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu_seconds"] for r in runs)
            peak = max(r["peak_rss_mb"] for r in runs)
            extra = ""
            if mode == "opsbot":
                assert all(r["orders"] == expected_orders for r in runs), runs
                assert all(r["rows"] == export.lines for r in runs), runs
                extra = f", {runs[0]['days']:.0f} days, {expected_orders:,} orders (checked)"
            else:
                assert all(r["rows"] == export.lines for r in runs), runs
            print(
                f"{mode:>7}: median {seconds:.2f} s wall, {cpu:.2f} s CPU over {args.runs} runs, "
                f"peak RSS {peak:.0f} MB (imports alone {base:.0f} MB){extra}"
            )
        if not args.traced:
            return
        traced = child("traced", path)
        print(
            f" traced: opsbot parse peak Python allocations {traced['traced_peak_mb']:.1f} MB "
            f"(tracemalloc; {traced['seconds']:.2f} s with tracing on)"
        )


if __name__ == "__main__":
    main()
