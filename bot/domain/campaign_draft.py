"""A campaign being created with `/campaign new`: the form's cursor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.form_cursor import FormCursor, new_run_id

FIELDS = ("code", "name", "dates", "cover", "budget", "targets", "owners")
REQUIRED = ("code", "name", "dates", "cover", "targets")


@dataclass(kw_only=True)
class CampaignDraft(FormCursor[Any]):
    data_key: ClassVar[str] = "campaign_draft"

    @classmethod
    def start(cls) -> CampaignDraft:
        return cls(rid=new_run_id(), fields=list(FIELDS), required=list(REQUIRED))
