"""Message catalogue: YAML files per language, keys shared, `{placeholders}` via str.format.

A count's noun agrees with it through a format spec: `{days} {days:plural:day|days}` reads
"1 day" and "3 days" (English; Vietnamese nouns do not change, so its texts never use it).

`<locale>.yaml` holds the core texts; each feature area may add `<area>.<locale>.yaml`
(e.g. `kpi.vi.yaml`). A key defined twice for one locale is an error.

Handlers never hard-code user-facing text; they ask a `Translator` bound to the member's locale.
"""

from __future__ import annotations

import logging
import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_CATALOGUE_DIR = Path(__file__).parent

log = logging.getLogger(__name__)


def catalogue_files(locale: str) -> list[Path]:
    return [_CATALOGUE_DIR / f"{locale}.yaml", *sorted(_CATALOGUE_DIR.glob(f"*.{locale}.yaml"))]


@cache
def load_catalogue(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalogue_files(locale):
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        for key, value in data.items():
            if str(key) in merged:
                raise ValueError(f"{path.name}: key {key!r} is already defined for {locale}")
            merged[str(key)] = str(value)
    return merged


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def normalise_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram language_code ("en-US", "vi") onto a supported locale."""
    if code:
        short = code.split("-")[0].lower()
        if short in LOCALES:
            return short
    return default


class _CatalogueFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith(_PLURAL):
            one, _, other = format_spec.removeprefix(_PLURAL).partition("|")
            return one if _is_one(value) else other
        return str(super().format_field(value, format_spec))


_PLURAL = "plural:"
_FORMATTER = _CatalogueFormatter()


def _is_one(value: Any) -> bool:
    """1 as a whole number or as the text shown ("1"); "1,0", 1.0 and 1.5 take the plural."""
    if isinstance(value, str):
        return value.strip() == "1"
    return isinstance(value, int) and not isinstance(value, bool) and value == 1


def render(template: str, params: dict[str, Any]) -> str:
    """``template`` with ``params`` filled in (plural words chosen by their counts)."""
    if _PLURAL in template:
        return _FORMATTER.format(template, **params)
    return template.format(**params)


class Translator:
    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else DEFAULT_LOCALE

    def __call__(self, key: str, **params: Any) -> str:
        template = load_catalogue(self.locale).get(key)
        if template is None:
            # A missing key is a bug; fall back to Vietnamese rather than show a raw key.
            log.error("i18n key missing locale=%s key=%s", self.locale, key)
            template = load_catalogue(DEFAULT_LOCALE).get(key, key)
        return render(template, params) if params else template
