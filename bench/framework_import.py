"""Import cost of the Telegram framework alone: aiogram vs python-telegram-bot.

Each framework is imported in a fresh interpreter that then reports its own wall time and RSS.
python-telegram-bot is not a dependency; install it into the environment to compare
(`pip install python-telegram-bot`), otherwise its line says it is missing.

    python bench/framework_import.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PROBE = """
import time, resource
t = time.perf_counter()
{imports}
elapsed = time.perf_counter() - t
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

FRAMEWORKS = {
    "aiogram": "import aiogram, aiogram.types, aiogram.fsm.context, aiogram.client.session.aiohttp",
    "python-telegram-bot": "import telegram, telegram.ext",
}


def measure(imports: str) -> tuple[float, float] | None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports)], capture_output=True, text=True
    )
    if result.returncode != 0:
        return None
    seconds, rss = result.stdout.split()
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for name, imports in FRAMEWORKS.items():
        samples = [measure(imports) for _ in range(args.runs)]
        if any(s is None for s in samples):
            print(f"{name}: not installed")
            continue
        times = [s[0] for s in samples if s]
        rss = [s[1] for s in samples if s]
        print(
            f"{name}: import {statistics.median(times):.2f} s, "
            f"peak RSS {statistics.median(rss):.0f} MiB (median of {args.runs})"
        )


if __name__ == "__main__":
    main()
