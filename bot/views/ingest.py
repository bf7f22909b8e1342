"""Order exports in chat and on the command line: the preview (per day and metric new,
changed with who had entered the old value, unchanged; refused days; days left out; rows that
could not be read), the store buttons, Confirm / Cancel, and every refusal of a file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.ingest import ItemResult, ValueChange
from bot.domain.number_format import format_value
from bot.domain.upload_draft import UploadPreview
from bot.i18n import Translator, load_catalogue
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric
from bot.views.safe import user_text

MAX_DAY_LINES = 31
MAX_STORE_BUTTONS = 24
MAX_DAYS_LISTED = 12
FILE_NAME_SHOWN = 80

# the placeholders ``ingest.error.*`` may use; H2's parameters fill them where they exist
ERROR_PARAMS = ("column", "expected", "format", "formats", "size", "limit", "plan_limit", "reason")


class IngestCallback(CallbackData, prefix="ing"):
    rid: str  # the upload run the button belongs to
    action: str  # store | ok | cancel (the engine's) | back (the engine's, never offered)
    value: str = ""


def _button(text: str, rid: str, action: str, value: str = "") -> InlineKeyboardButton:
    data = IngestCallback(rid=rid, action=action, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def store_keyboard(
    rid: str, stores: Sequence[tuple[int, str, str]], t: Translator
) -> InlineKeyboardMarkup:
    """One button per store (id, code, name), then Cancel."""
    rows = [
        [_button(f"{code} · {name}"[:60], rid, "store", str(store_id))]
        for store_id, code, name in stores[:MAX_STORE_BUTTONS]
    ]
    rows.append([_button(t("button.cancel"), rid, "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def preview_keyboard(rid: str, t: Translator) -> InlineKeyboardMarkup:
    row = [_button(t("button.confirm"), rid, "ok"), _button(t("button.cancel"), rid, "cancel")]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def _quote(html: bool) -> Callable[[object], str]:
    return (lambda value: user_text(value, FILE_NAME_SHOWN)) if html else str


def format_label(name: str, t: Translator) -> str:
    key = f"ingest.format.{name}"
    return t(key) if key in load_catalogue(t.locale) else user_text(name)


def platform_label(platform: str, t: Translator) -> str:
    key = f"ingest.platform.{platform}"
    return t(key) if key in load_catalogue(t.locale) else user_text(platform)


# --- refusals ------------------------------------------------------------------------------------


def refusal_text(
    file_name: str,
    code: str,
    params: Mapping[str, str],
    t: Translator,
    *,
    plans_too: bool = False,
    html: bool = True,
) -> str:
    """Why ``file_name`` is not imported; nothing was written. ``plans_too``: the member may
    also send plan files (a wrong type then names both)."""
    quote = _quote(html)
    values = {name: quote(params.get(name, "")) for name in ERROR_PARAMS}
    if params.get("format"):
        values["format"] = format_label(params["format"], t)
    names = [n.strip() for n in params.get("formats", "").split(",") if n.strip()]
    values["formats"] = ", ".join(format_label(n, t) for n in names) or t("ingest.known_formats")
    if params.get("size_mb") and not params.get("size"):
        values["size"], values["limit"] = quote(params["size_mb"]), quote(params.get("limit_mb"))
    key = f"ingest.error.{code}"
    catalogue = load_catalogue(t.locale)
    if code == "wrong_type" and plans_too:
        key = "ingest.error.wrong_type_with_plans"
    elif code == "not_spreadsheet" and file_name.lower().endswith(".csv"):
        key = "ingest.error.not_text"
    elif code == "too_big" and plans_too:
        key = "ingest.error.too_big_with_plans"
    if key not in catalogue:
        key = "ingest.error.other"
        values["reason"] = quote(code)
    text = t(key, name=quote(file_name), **values)
    return t("ingest.refused", text=text)


# --- the preview ---------------------------------------------------------------------------------


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _metric_label(org: OrgConfig, key: str, t: Translator) -> str:
    metric = org.metric(key)
    return user_text(metric.label.get(t.locale) if metric else key)


def _value(org: OrgConfig, key: str, value: float, t: Translator) -> str:
    metric = org.metric(key)
    if not isinstance(metric, BaseMetric):
        return format_value(value, "number", t.locale)
    label = metric.unit_label.get(t.locale) if metric.unit_label else None
    return format_value(value, metric.unit, t.locale, integer=metric.integer, unit_label=label)


def _who(change: ValueChange, t: Translator) -> str:
    if change.old_by:
        return t("ingest.by_member", name=user_text(change.old_by, 60))
    source = change.old_source or ""
    if source.startswith("import:"):
        return t("ingest.by_import", format=format_label(source.removeprefix("import:"), t))
    if source.startswith("api:"):
        return t("ingest.by_api", name=user_text(source.removeprefix("api:"), 60))
    return t("ingest.by_unknown")


def _change_text(org: OrgConfig, change: ValueChange, t: Translator) -> str:
    label = _metric_label(org, change.metric, t)
    new = _value(org, change.metric, change.new, t)
    if change.old is None:
        return t("ingest.value_new", metric=label, new=new)
    old = _value(org, change.metric, change.old, t)
    return t("ingest.value_changed", metric=label, old=old, new=new, who=_who(change, t))


def _day_line(org: OrgConfig, result: ItemResult, t: Translator) -> str:
    day = _day(result.day)
    if result.status == "rejected":
        reasons = "; ".join(user_text(e.message, 200) for e in result.errors)
        return t("ingest.day_refused", day=day, reasons=reasons or "—")
    if result.status == "unchanged":
        return t("ingest.day_unchanged", day=day)
    parts = [_change_text(org, change, t) for change in result.changes]
    if result.unchanged:
        labels = ", ".join(_metric_label(org, key, t) for key in result.unchanged)
        parts.append(t("ingest.values_unchanged", metrics=labels))
    key = "ingest.day_new" if result.status == "created" else "ingest.day_changed"
    return t(key, day=day, values="; ".join(parts))


def _days_list(days: Sequence[date]) -> str:
    shown = ", ".join(day.strftime("%d/%m") for day in days[:MAX_DAYS_LISTED])
    return shown + (" …" if len(days) > MAX_DAYS_LISTED else "")


def _bad_rows_lines(preview: UploadPreview, t: Translator) -> list[str]:
    parsed = preview.parsed
    if not parsed.bad_count:
        return []
    lines = [t("ingest.bad_rows", count=parsed.bad_count)]
    catalogue = load_catalogue(t.locale)
    for row, reason in parsed.bad_rows:
        key = f"ingest.bad_row.{reason}"
        why = t(key) if key in catalogue else user_text(reason, 120)
        lines.append(t("ingest.bad_row_line", row=row, reason=why))
    if parsed.bad_count > len(parsed.bad_rows):
        lines.append(t("ingest.more_bad_rows", count=parsed.bad_count - len(parsed.bad_rows)))
    return lines


def preview_text(
    org: OrgConfig, preview: UploadPreview, t: Translator, *, buttons: bool = True
) -> str:
    """The whole preview; ``buttons``: the chat's Confirm hint (the CLI says it itself)."""
    parsed = preview.parsed
    lines = [
        t("ingest.preview_title", name=user_text(parsed.file_name, FILE_NAME_SHOWN)),
        t(
            "ingest.preview_source",
            format=format_label(parsed.format, t),
            store=user_text(preview.store),
            rows=parsed.rows_read,
        ),
    ]
    if parsed.date_order in ("day_first", "month_first"):
        lines.append(t(f"ingest.date_order.{parsed.date_order}"))
    lines.append(t("ingest.counts", **preview.counts))
    shown = [r for r in preview.results if r.status != "unchanged"]
    same = [r.day for r in preview.results if r.status == "unchanged"]
    lines += [_day_line(org, r, t) for r in shown[:MAX_DAY_LINES]]
    if len(shown) > MAX_DAY_LINES:
        lines.append(t("ingest.more_days", count=len(shown) - MAX_DAY_LINES))
    if same:
        lines.append(t("ingest.days_unchanged", count=len(same), days=_days_list(same)))
    if preview.rejected:
        lines.append(t("ingest.refused_note", count=len(preview.rejected)))
    if parsed.open_days:
        lines.append(t("ingest.open_days", days=_days_list(parsed.open_days)))
    if not parsed.days:
        lines.append(t("ingest.no_days"))
    lines += _bad_rows_lines(preview, t)
    lines.append("")
    if not preview.has_changes:
        kept = preview.counts["same"]
        lines.append(t("ingest.nothing_changed" if kept else "ingest.nothing_to_save"))
    elif buttons:
        lines.append(t("ingest.confirm_hint"))
    return "\n".join(lines)


def applied_text(preview: UploadPreview, t: Translator) -> str:
    return t(
        "ingest.applied",
        store=user_text(preview.store),
        name=user_text(preview.parsed.file_name, FILE_NAME_SHOWN),
        **preview.counts,
    )


def moved_text(t: Translator) -> str:
    return t("ingest.moved")


def pick_store_text(file_name: str, format_name: str, t: Translator) -> str:
    return t(
        "ingest.pick_store",
        name=user_text(file_name, FILE_NAME_SHOWN),
        format=format_label(format_name, t),
    )


def no_store_text(platform: str, t: Translator) -> str:
    return t("ingest.no_store", platform=platform_label(platform, t))


def unknown_store_text(code: str, t: Translator) -> str:
    """Unknown and out of scope read the same."""
    return t("ingest.unknown_store", code=user_text(code, 64))


def store_picked_text(code: str, t: Translator) -> str:
    return t("ingest.store_picked", store=user_text(code))
