"""Org-file settings of the service departments' KPIs and of recognition.

service_kpi:
  window_days: 28          # rates and times over the last 28 days
  on_time_alert_below: 0.8 # alert a department's managers under 80% on time
  min_due: 5               # ... once at least 5 requests were due in the window
recognition:
  pace_at_least: 1.1       # praise stores and people at or above 110% of their pace
"""

from __future__ import annotations

from pydantic import Field

from bot.org.fields import Strict


class ServiceKpiSettings(Strict):
    window_days: int = Field(default=28, ge=7, le=366)
    on_time_alert_below: float = Field(default=0.8, gt=0, le=1)
    min_due: int = Field(default=5, ge=1, le=1000)


class RecognitionSettings(Strict):
    pace_at_least: float = Field(default=1.1, ge=1, le=10)
