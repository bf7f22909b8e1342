"""Reading marketplace order exports (Shopee VN/EN, TikTok Shop) and the generic exports an
org file declares, summed per business day. Pure: no Telegram, no database.

Entry point: ``parse_export(path, file_name, org, now) -> ParsedExport`` (raises
``ExportError``). Reason and error codes: ``bot.marketplace.model``; aggregation rules:
``bot.marketplace.aggregate``; formats and header matching: ``bot.marketplace.formats``.
"""

from bot.marketplace.model import (
    BAD_ROW_REASONS,
    ERROR_CODES,
    BadRow,
    DateOrder,
    ExportError,
    ParsedExport,
)
from bot.marketplace.parse import parse_export

__all__ = [
    "BAD_ROW_REASONS",
    "ERROR_CODES",
    "BadRow",
    "DateOrder",
    "ExportError",
    "ParsedExport",
    "parse_export",
]
