"""Small formatting helpers shared by handlers (names, roles, departments), HTML-safe."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from storage.models import Department, Member


def department_name(department: Department | None, t: Translator) -> str:
    if department is None:
        return "—"
    return escape(department.name_en if t.locale == "en" else department.name_vi)


def member_title(member: Member, t: Translator) -> str:
    role = t(f"role.{member.role}")
    if member.department is None:
        return role
    return f"{role} · {department_name(member.department, t)}"
