"""Input of the service-department chart (``bot.charts.service``): plain, already translated.
Importing it does not import matplotlib."""

from __future__ import annotations

from dataclasses import dataclass

from bot.charts.data import Tile


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""


@dataclass(frozen=True)
class ServiceChart:
    """Tiles, weekly requests in and delivered, the open backlog by age, and per assignee."""

    title: str
    subtitle: str
    tiles: tuple[Tile, ...]
    weeks: tuple[str, ...]  # labels, oldest first
    received: tuple[int, ...]
    delivered: tuple[int, ...]
    backlog: tuple[Bar, ...]  # by age, youngest first
    assignees: tuple[Bar, ...]  # delivered in the window, with a note
    received_label: str = "Nhận"
    delivered_label: str = "Giao"
    weeks_title: str = ""
    backlog_title: str = ""
    assignees_title: str = ""
    locale: str = "vi"
