"""Roles and the commands each role may use (the single source for /help and the command menu)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    BOD = "bod"
    ADMIN = "admin"


ALL_ROLES = frozenset(Role)
INVITERS = frozenset({Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[Role]


# Order is the order shown in /help and in the Telegram menu.
REPORTERS = frozenset({Role.STAFF, Role.MANAGER})
OVERSEERS = frozenset({Role.MANAGER, Role.BOD, Role.ADMIN})

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("report", REPORTERS),
    CommandSpec("status", OVERSEERS),
    CommandSpec("history", ALL_ROLES),
    CommandSpec("off", REPORTERS),
    CommandSpec("kpi", ALL_ROLES),
    CommandSpec("campaign", ALL_ROLES),
    CommandSpec("me", REPORTERS),
    CommandSpec("dept", OVERSEERS),
    CommandSpec("plan", OVERSEERS),
    CommandSpec("export", ALL_ROLES),
    CommandSpec("order", ALL_ROLES),
    CommandSpec("orders", ALL_ROLES),
    CommandSpec("help", ALL_ROLES),
    CommandSpec("invite", INVITERS),
    CommandSpec("lang", ALL_ROLES),
    CommandSpec("cancel", ALL_ROLES),
)

# What someone who is not (yet) a member sees in the menu.
GUEST_COMMANDS: tuple[str, ...] = ("start",)


def commands_for(role: Role | str) -> list[str]:
    role = Role(role)
    return [spec.name for spec in COMMANDS if role in spec.roles]


def roles_invitable_by(role: Role | str) -> list[Role]:
    """An admin may invite anyone; a manager only staff and managers of their department."""
    role = Role(role)
    if role is Role.ADMIN:
        return [Role.STAFF, Role.MANAGER, Role.BOD, Role.ADMIN]
    if role is Role.MANAGER:
        return [Role.STAFF, Role.MANAGER]
    return []
