"""One line of praise for the digest and the weekly department message (nothing to say when
nobody qualifies)."""

from __future__ import annotations

from bot.domain.recognition import Praise
from bot.i18n import Translator
from bot.views.kpi import percent
from bot.views.safe import user_text


def praise_line(found: Praise, threshold: float, t: Translator) -> str | None:
    if found.empty:
        return None
    parts = []
    if found.stores:
        parts.append(t("praise.stores", names=", ".join(user_text(s) for s in found.stores)))
    if found.people:
        parts.append(t("praise.people", names=", ".join(user_text(p) for p in found.people)))
    return t("praise.line", threshold=percent(threshold), items=" · ".join(parts))


def weekly_praise_text(found: Praise, department: str, threshold: float, t: Translator) -> str:
    line = praise_line(found, threshold, t) or ""
    return "\n".join([t("praise.weekly_title", department=user_text(department)), line])
