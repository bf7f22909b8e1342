"""SQLAlchemy 2 models. Instants are stored as UTC; business dates as plain dates.

Only portable column types are used so the same schema runs on SQLite and PostgreSQL. The
models live in three modules by area; importing this package registers all of them.
"""

from storage.models.base import NAMING_CONVENTION, ROLES, Base, UtcDateTime
from storage.models.catalog import (
    Brand,
    CatalogVersion,
    Department,
    Invite,
    Member,
    MemberStore,
    Store,
)
from storage.models.operations import (
    AlertState,
    ApiIdempotency,
    ApiToken,
    FsmRecord,
    JobRun,
    Lease,
    OrderEvent,
    OrderRequest,
    OutboxMessage,
    ProcessedUpdate,
)
from storage.models.values import (
    Campaign,
    DailyRollup,
    DailyValue,
    DayOff,
    MonthlyRollup,
    PersonTarget,
    PersonTargetRevision,
    Plan,
    PlanRevision,
    Report,
    ValueRevision,
)

__all__ = [
    "NAMING_CONVENTION",
    "ROLES",
    "AlertState",
    "ApiIdempotency",
    "ApiToken",
    "Base",
    "Brand",
    "Campaign",
    "CatalogVersion",
    "DailyRollup",
    "DailyValue",
    "DayOff",
    "Department",
    "FsmRecord",
    "Invite",
    "JobRun",
    "Lease",
    "Member",
    "MemberStore",
    "MonthlyRollup",
    "OrderEvent",
    "OrderRequest",
    "OutboxMessage",
    "PersonTarget",
    "PersonTargetRevision",
    "Plan",
    "PlanRevision",
    "ProcessedUpdate",
    "Report",
    "Store",
    "UtcDateTime",
    "ValueRevision",
]
