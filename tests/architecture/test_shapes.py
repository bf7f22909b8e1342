"""Size limits that keep the code readable: small modules, handlers with few parameters."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 500
MAX_HANDLER_PARAMETERS = 5
# Generated or protocol-sized code, kept whole on purpose.
EXEMPT = ("storage/migrations/", "bot/sandbox/")


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_no_module_over_the_limit() -> None:
    too_long = []
    for path in python_files("bot", "handlers", "jobs", "storage", "tests", "bench"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(EXEMPT):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{relative}: {lines} lines")
    assert not too_long, "\n".join(too_long)


def test_handlers_take_at_most_five_parameters() -> None:
    crowded = []
    for path in python_files("handlers"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                names = [
                    a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                ]
                names = [n for n in names if n != "self"]
                if len(names) > MAX_HANDLER_PARAMETERS:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    crowded.append(f"{where} {node.name}({', '.join(names)})")
    assert not crowded, "\n".join(crowded)
