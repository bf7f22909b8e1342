"""Router tree. Order matters: the first router whose filters match handles the update.

Commands win over forms: every command handler matches in any state and no form reads a
command as an answer (see handlers/mid_form.py), so the order below does not decide which
commands work in the middle of a form.

1. errors    - error observer for the whole tree
2. mid_form  - a command that would open another form, typed in the middle of one: leave it or
               keep it (buttons); first, so that no form's own handler sees it
3. start     - /start for everyone (registration by invite)
4. common    - members: /cancel and /help from any state, /lang
5. invite    - managers and admins
6. reminders - the store buttons of reminders (open the report form for a store and date)
7. days_off  - /off (staff and managers ask) and the Approve / Reject buttons (managers, admins)
7b. kpi      - /kpi, /me, /dept chart views and their buttons (period, drill-down, back)
7c. campaigns - /campaign (list) and the /campaign new form (managers and admins)
8. report    - the daily report form (staff and managers)
9. report_status - /status and /history
10. orders   - /order (request form, one request's details), /orders, request card buttons
10b. ingest  - documents in private chat (outside other forms): order exports with store
               pick, preview and Confirm; plan files handed on to plans
11. plans    - /plan (view, template) and plan import's preview and Confirm
12. export   - /export [YYYY-MM]: the month as a formatted .xlsx within the member's scope
13. alerts   - the Acknowledge / Snooze / Create task buttons of KPI alerts (any chat)
14. fallback - catch-all: an unknown command gets one that exists, anything else "not
               understood" for members, a refusal for strangers

Around every message handler, ``mid_form.StillInForm`` adds how to go on with a form after a
command that left it as it was.
"""

from __future__ import annotations

from aiogram import Router

from handlers import (
    alerts,
    campaigns,
    common,
    days_off,
    errors,
    export,
    fallback,
    ingest,
    invite,
    kpi,
    mid_form,
    orders,
    plans,
    reminders,
    report,
    report_status,
    start,
)


def build_root_router() -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.create_router(),
        mid_form.create_router(),
        start.create_router(),
        common.create_router(),
        invite.create_router(),
        reminders.create_router(),
        days_off.create_router(),
        kpi.create_router(),
        campaigns.create_router(),
        report.create_router(),
        report_status.create_router(),
        orders.create_router(),
        ingest.create_router(),
        plans.create_router(),
        export.create_router(),
        alerts.create_router(),
        fallback.create_router(),
    )
    root.message.middleware(mid_form.StillInForm())
    return root
