"""Router tree. Order matters: the first router whose filters match handles the update.

1. errors    - error observer for the whole tree
2. start     - /start for everyone (registration by invite)
3. common    - members: /cancel and /help from any state, /lang
4. invite    - managers and admins
5. report    - the daily report form (staff and managers)
6. report_status - /status and /history
7. fallback  - catch-all: "not understood" for members, a refusal for strangers
"""

from __future__ import annotations

from aiogram import Router

from handlers import common, errors, fallback, invite, report, report_status, start


def build_root_router() -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.create_router(),
        start.create_router(),
        common.create_router(),
        invite.create_router(),
        report.create_router(),
        report_status.create_router(),
        fallback.create_router(),
    )
    return root
