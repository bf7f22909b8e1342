"""What the bot says about campaigns: the list, the `/kpi <campaign>` caption and chart data,
the `/campaign new` form and the closing summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.charts.campaign_data import CampaignChart, ProgressBar
from bot.domain.campaign_draft import CampaignDraft
from bot.domain.campaigns import CampaignInfo, CampaignView, Progress, Spend
from bot.domain.number_format import format_compact, format_number
from bot.domain.report_draft import Draft
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.reports import ReportCallback
from bot.views.safe import user_text

# One valid answer per question of the form, shown with it and with every refusal.
EXAMPLES = {
    "code": "HS1212",
    "name": "12.12 Hoa Sen",
    "dates": "1/12-12/12",
    "cover": "HS-SHOPEE, HS-TIKTOK",
    "budget": "50tr",
    "targets": "gmv 2 tỷ, orders 5000",
    "owners": "@lan_hs",
}


class CampaignCallback(CallbackData, prefix="cp"):
    rid: str
    action: str  # back | skip | cancel | create | edit
    value: str = ""


def _button(text: str, rid: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=CampaignCallback(rid=rid, action=action).pack()
    )


# --- numbers ---------------------------------------------------------------------------------


def metric_label(org: OrgConfig, key: str, t: Translator) -> str:
    metric = org.metric(key)
    return user_text(metric.label.get(t.locale)) if metric else user_text(key)


def amount(org: OrgConfig, key: str, value: float, locale: str) -> str:
    """Money compact (``2 tỷ``, ``80tr``), counts in full (``5.000``)."""
    metric = org.metric(key)
    if metric is None or metric.unit == "money":
        return format_compact(value, locale)
    return format_number(value, locale, decimals=0 if metric.unit == "count" else 1)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _day(day: date) -> str:
    return day.strftime("%d/%m")


def dates_text(info: CampaignInfo) -> str:
    return _day(info.start) if info.start == info.end else f"{_day(info.start)}–{_day(info.end)}"


# --- /campaign -------------------------------------------------------------------------------


def _status(info: CampaignInfo, today: date, t: Translator) -> str:
    if info.status(today) == "coming":
        return t("campaign.list.starts_in", days=(info.start - today).days)
    return t("campaign.list.days_left", days=info.days_left(today))


def list_text(
    org: OrgConfig,
    rows: Sequence[tuple[CampaignInfo, Progress | None]],
    today: date,
    t: Translator,
) -> str:
    if not rows:
        return t("campaign.list.none", example=EXAMPLES["code"])
    lines = [t("campaign.list.header")]
    for info, shown in rows:
        lines.append(
            t(
                "campaign.list.item",
                name=user_text(info.name),
                code=user_text(info.code),
                dates=dates_text(info),
                status=_status(info, today, t),
            )
        )
        if shown is not None and shown.target:
            lines.append(
                t(
                    "campaign.list.progress",
                    metric=metric_label(org, shown.metric, t),
                    actual=amount(org, shown.metric, shown.actual, t.locale),
                    target=amount(org, shown.metric, shown.target, t.locale),
                    share=percent(shown.share),
                    time=percent(shown.time_share),
                )
            )
    lines.append(t("campaign.list.footer", code=user_text(rows[0][0].code)))
    return "\n".join(lines)


# --- /kpi <campaign> -------------------------------------------------------------------------


def _progress_line(org: OrgConfig, shown: Progress, t: Translator) -> str:
    return t(
        "campaign.kpi.target",
        metric=metric_label(org, shown.metric, t),
        actual=amount(org, shown.metric, shown.actual, t.locale),
        target=amount(org, shown.metric, shown.target or 0.0, t.locale),
        share=percent(shown.share),
    )


def _spend_lines(spend: Spend, t: Translator) -> list[str]:
    lines = []
    if spend.cost is not None or spend.budget is not None:
        cost = format_compact(spend.cost or 0.0, t.locale)
        if spend.budget:
            budget = format_compact(spend.budget, t.locale)
            lines.append(
                t("campaign.kpi.budget", cost=cost, budget=budget, share=percent(spend.share))
            )
        else:
            lines.append(t("campaign.kpi.cost", cost=cost))
    if spend.roas is not None:
        lines.append(t("campaign.kpi.roas", roas=format_number(spend.roas, t.locale, decimals=1)))
    if spend.cost_per_order is not None:
        per_order = format_compact(spend.cost_per_order, t.locale)
        lines.append(t("campaign.kpi.per_order", value=per_order))
    return lines


def caption(
    org: OrgConfig,
    info: CampaignInfo,
    progress: Sequence[Progress],
    spend: Spend,
    tagged: Mapping[str, float],
    today: date,
    partial: bool,
    t: Translator,
) -> str:
    lines = [
        t("campaign.kpi.title", name=user_text(info.name), code=user_text(info.code)),
        t(
            "campaign.kpi.time",
            dates=dates_text(info),
            elapsed=info.days_elapsed(today),
            days=info.days,
            left=info.days_left(today),
        ),
    ]
    lines += [_progress_line(org, shown, t) for shown in progress]
    lines += _spend_lines(spend, t)
    if tagged:
        outputs = ", ".join(
            f"{metric_label(org, key, t)} {amount(org, key, value, t.locale)}"
            for key, value in sorted(tagged.items())
        )
        lines.append(t("campaign.kpi.outputs", outputs=outputs))
    if partial:
        lines.append(t("campaign.kpi.partial"))
    return "\n".join(lines)[:1024]


def chart(
    org: OrgConfig,
    info: CampaignInfo,
    progress: Sequence[Progress],
    spend: Spend,
    by_day: Mapping[date, Mapping[str, float]],
    by_store: Mapping[str, Mapping[str, float]],
    tagged: Mapping[str, float],
    today: date,
    t: Translator,
) -> CampaignChart:
    locale = t.locale
    bars = [
        ProgressBar(
            metric_label(org, p.metric, t),
            p.share or 0.0,
            f"{amount(org, p.metric, p.actual, locale)} ({percent(p.share)})",
        )
        for p in progress
    ]
    if spend.budget:
        text = f"{format_compact(spend.cost or 0.0, locale)} ({percent(spend.share)})"
        bars.append(ProgressBar(t("campaign.kpi.budget_bar"), spend.share or 0.0, text, True))
    main = info.main_metric or "gmv"
    days = tuple(info.dates())  # every day of the campaign: the days to come stay empty
    target = info.targets.get(main)
    stores = sorted(((code, v.get(main, 0.0)) for code, v in by_store.items()), key=lambda r: -r[1])
    time_share = info.days_elapsed(today) / info.days
    return CampaignChart(
        title=f"{info.name} · {info.code}",
        subtitle=t("campaign.kpi.subtitle", dates=dates_text(info), left=info.days_left(today)),
        locale=locale,
        bars=tuple(bars),
        time_share=time_share,
        time_label=t("campaign.kpi.time_line", share=percent(time_share)),
        days=days,
        daily=tuple(by_day[d].get(main) if d in by_day and d <= today else None for d in days),
        daily_target=target / info.days if target else None,
        daily_title=t("campaign.kpi.daily", metric=metric_label(org, main, t)),
        stores=tuple(stores),
        stores_title=t("campaign.kpi.by_store", metric=metric_label(org, main, t)),
        outputs=tuple((metric_label(org, key, t), value) for key, value in sorted(tagged.items())),
        outputs_title=t("campaign.kpi.tagged"),
        none_label=t("campaign.kpi.none"),
    )


# --- /campaign new ---------------------------------------------------------------------------


def question_text(draft: CampaignDraft, key: str, extra: str, t: Translator) -> str:
    number, total = draft.position(key)
    return t(f"campaign.q.{key}", number=number, total=total, example=EXAMPLES[key], extra=extra)


def question_keyboard(draft: CampaignDraft, key: str, t: Translator) -> InlineKeyboardMarkup:
    row = []
    if draft.previous_field() is not None:
        row.append(_button(t("button.back"), draft.rid, "back"))
    if key not in draft.required:
        row.append(_button(t("button.skip"), draft.rid, "skip"))
    row.append(_button(t("button.cancel"), draft.rid, "cancel"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def error_text(key: str, field: str, t: Translator, **params: str) -> str:
    safe = {name: user_text(value) for name, value in params.items()}
    return t(f"campaign.error.{key}", example=EXAMPLES[field], **safe)


def summary_text(org: OrgConfig, draft: CampaignDraft, t: Translator) -> str:
    a = draft.answers
    start, end = (date.fromisoformat(d) for d in a["dates"])
    cover = a["cover"]
    targets = ", ".join(
        f"{metric_label(org, key, t)} {amount(org, key, value, t.locale)}"
        for key, value in a["targets"].items()
    )
    budget = a.get("budget")
    owners = a.get("owners") or []
    return t(
        "campaign.summary",
        code=user_text(a["code"]),
        name=user_text(a["name"]),
        dates=f"{_day(start)}–{end:%d/%m/%Y}",
        cover=user_text(", ".join([*cover.get("brands", []), *cover.get("stores", [])])),
        budget=format_compact(budget, t.locale) if budget is not None else "—",
        targets=targets,
        owners=user_text(", ".join(owners)) if owners else "—",
    )


def summary_keyboard(draft: CampaignDraft, t: Translator) -> InlineKeyboardMarkup:
    """Create; Edit one answer (its question again, then back here); Cancel."""
    rid = draft.rid
    edits = [
        InlineKeyboardButton(
            text=t("campaign.button.edit", field=t(f"campaign.field.{key}")),
            callback_data=CampaignCallback(rid=rid, action="edit", value=key).pack(),
        )
        for key in draft.fields
    ]
    rows = [[_button(t("campaign.button.create"), rid, "create")]]
    rows += [edits[i : i + 2] for i in range(0, len(edits), 2)]
    rows.append([_button(t("button.cancel"), rid, "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def echo(draft: CampaignDraft, key: str, t: Translator) -> str:
    return t("campaign.echo", field=t(f"campaign.field.{key}"))


# --- closing summary -------------------------------------------------------------------------


def closing_text(
    org: OrgConfig,
    info: CampaignInfo,
    progress: Sequence[Progress],
    spend: Spend,
    tagged: Mapping[str, float],
    t: Translator,
) -> str:
    lines = [t("campaign.closing.title", name=user_text(info.name), code=user_text(info.code))]
    lines.append(t("campaign.closing.dates", dates=dates_text(info), days=info.days))
    lines += [_progress_line(org, shown, t) for shown in progress]
    lines += _spend_lines(spend, t)
    if tagged:
        outputs = ", ".join(
            f"{metric_label(org, key, t)} {amount(org, key, value, t.locale)}"
            for key, value in sorted(tagged.items())
        )
        lines.append(t("campaign.kpi.outputs", outputs=outputs))
    return "\n".join(lines)


def kpi_view(org: OrgConfig, view: CampaignView, t: Translator) -> tuple[str, CampaignChart]:
    """The caption and the chart data of `/kpi <campaign>`."""
    info, totals = view.info, view.totals
    text = caption(org, info, view.progress, view.spend, totals.tagged, view.today, view.partial, t)
    data = chart(
        org, info, view.progress, view.spend, totals.by_day, totals.by_store, totals.tagged,
        view.today, t,
    )  # fmt: skip
    return text, data


# --- the campaign tag of a person's report ---------------------------------------------------


def tag_line(offered: Sequence[CampaignInfo], chosen: int | None, t: Translator) -> str:
    name = next((i.name for i in offered if i.id == chosen), None)
    if name is None:
        return t("campaign.report.q")
    return t("campaign.report.echo", name=user_text(name))


def with_tag_buttons(
    keyboard: InlineKeyboardMarkup, draft: Draft, offered: Sequence[CampaignInfo], t: Translator
) -> InlineKeyboardMarkup:
    """The report summary's buttons plus one per running campaign and "none" (the chosen one
    ticked); they carry the report form's run id, so they go stale with it."""

    def button(text: str, value: str, chosen: bool) -> InlineKeyboardButton:
        data = ReportCallback(rid=draft.rid, action="camp", value=value).pack()
        return InlineKeyboardButton(text=("✔ " if chosen else "🎯 ") + text, callback_data=data)

    chosen = draft.campaign_id if draft.campaign_set else None
    rows = [[button(user_text(i.name, 40), str(i.id), chosen == i.id)] for i in offered]
    none_chosen = draft.campaign_set and draft.campaign_id is None
    rows.append([button(t("campaign.report.none"), "0", none_chosen)])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *keyboard.inline_keyboard])
