"""The layering rules of docs/architecture.md, checked on the source itself.

Every import statement of every module (also those inside functions and under TYPE_CHECKING)
is an arrow; an arrow that a rule forbids fails here with the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "jobs", "storage")
# The one composition root: it assembles the dispatcher from the handlers' routers.
COMPOSITION_ROOT = "bot.app"


@dataclass(frozen=True)
class Arrow:
    source: str  # importing module, dotted
    target: str  # imported module, dotted
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} -> {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.AST, source: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = source.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        # `from bot.views import kpi` imports the module bot.views.kpi
        return [f"{base}.{alias.name}" for alias in node.names] + [base]
    return []


def collect_arrows() -> list[Arrow]:
    arrows = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                for target in _targets(node, source, path.name == "__init__.py"):
                    where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                    arrows.append(Arrow(source, target, where))
    return arrows


ARROWS = collect_arrows()


def _in(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(sources: tuple[str, ...], forbidden: tuple[str, ...], allowed=()) -> list[str]:
    return [
        str(a)
        for a in ARROWS
        if _in(a.source, *sources) and _in(a.target, *forbidden) and not _in(a.source, *allowed)
    ]


RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # name: (importers, what they may not import, importers exempt)
    "nothing outside handlers/ imports handlers": (
        ("bot", "jobs", "storage"),
        ("handlers",),
        (COMPOSITION_ROOT,),
    ),
    "the domain is pure": (
        ("bot.domain",),
        (
            "aiogram",
            "sqlalchemy",
            "storage",
            "handlers",
            "jobs",
            "bot.services",
            "bot.views",
            "bot.delivery",
            "bot.charts",
            "matplotlib",
            "bot.metrics",
            "prometheus_client",
        ),
        (),
    ),
    "the export readers are pure (no Telegram, no database)": (
        ("bot.marketplace",),
        (
            "aiogram",
            "sqlalchemy",
            "storage",
            "handlers",
            "jobs",
            "bot.services",
            "bot.views",
            "bot.delivery",
        ),
        (),
    ),
    "views import the domain, the org config and i18n only": (
        ("bot.views",),
        (
            "storage",
            "sqlalchemy",
            "bot.services",
            "handlers",
            "jobs",
            "bot.delivery",
            "bot.metrics",
        ),
        (),
    ),
    "the metrics module depends on nothing of the project": (
        ("bot.metrics",),
        ("bot", "handlers", "jobs", "storage"),
        (),
    ),
    "services and jobs speak aiogram only through views and delivery": (
        ("bot.services", "jobs"),
        ("aiogram", "handlers"),
        (),
    ),
    "storage depends on nothing above it": (
        ("storage",),
        ("bot.services", "bot.views", "handlers", "jobs", "bot.delivery", "bot.metrics"),
        (),
    ),
    "handlers go through services, never repositories or SQL": (
        ("handlers",),
        ("storage.repositories", "sqlalchemy.sql", "sqlalchemy.select", "jobs"),
        (),
    ),
    "SQL lives in storage": (
        ("bot", "handlers", "jobs"),
        (
            "sqlalchemy.select",
            "sqlalchemy.update",
            "sqlalchemy.delete",
            "sqlalchemy.insert",
            "sqlalchemy.func",
            "sqlalchemy.text",
            "sqlalchemy.and_",
            "sqlalchemy.or_",
            "sqlalchemy.sql",
            "sqlalchemy.dialects",
        ),
        (),
    ),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_import_rule(rule: str) -> None:
    sources, forbidden, allowed = RULES[rule]
    found = violations(sources, forbidden, allowed)
    assert not found, f"{rule}:\n" + "\n".join(found)


def test_the_walker_sees_imports() -> None:
    # A rule that can never match proves nothing: the walker must see known arrows.
    targets = {(a.source, a.target) for a in ARROWS}
    assert (COMPOSITION_ROOT, "handlers") in targets
    assert ("handlers.middlewares", "handlers.context.Ctx") in targets


def test_a_broken_rule_is_reported() -> None:
    found = violations(("bot.app",), ("handlers",))
    assert found and all("bot/app.py:" in line for line in found)
