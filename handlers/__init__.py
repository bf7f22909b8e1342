"""Router tree. Order matters: the first router whose filters match handles the update.

1. errors    - error observer for the whole tree
2. start     - /start for everyone (registration by invite)
3. common    - members: /cancel and /help from any state, /lang
4. invite    - managers and admins
5. reminders - the store buttons of reminders (open the report form for a store and date)
6. days_off  - /off (staff and managers ask) and the Approve / Reject buttons (managers, admins);
               before report so that /off works in the middle of a report form
6b. kpi      - /kpi, /me, /dept chart views and their buttons (period, drill-down, back);
               before report so that a chart can be asked for in the middle of a report form
7. report    - the daily report form (staff and managers)
8. report_status - /status and /history
9. orders    - /order (request form, one request's details), /orders, request card buttons
10. plans    - /plan (view, template) and plan import by file with preview and Confirm
               (files are taken only outside other forms)
11. export   - /export [YYYY-MM]: the month as a formatted .xlsx within the member's scope
12. alerts   - the Acknowledge / Snooze / Create task buttons of KPI alerts (any chat)
13. fallback - catch-all: "not understood" for members, a refusal for strangers
"""

from __future__ import annotations

from aiogram import Router

from handlers import (
    alerts,
    common,
    days_off,
    errors,
    export,
    fallback,
    invite,
    kpi,
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
        start.create_router(),
        common.create_router(),
        invite.create_router(),
        reminders.create_router(),
        days_off.create_router(),
        kpi.create_router(),
        report.create_router(),
        report_status.create_router(),
        orders.create_router(),
        plans.create_router(),
        export.create_router(),
        alerts.create_router(),
        fallback.create_router(),
    )
    return root
