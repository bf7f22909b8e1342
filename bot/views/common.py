"""Small formatting helpers shared by handlers (names, roles, departments), HTML-safe."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.records import DepartmentRow, MemberRow
from bot.i18n import Translator
from bot.views.safe import user_text


def department_name(department: DepartmentRow | None, t: Translator) -> str:
    if department is None:
        return "—"
    return user_text(department.name_en if t.locale == "en" else department.name_vi)


def member_title(member: MemberRow, t: Translator) -> str:
    role = t(f"role.{member.role}")
    if member.department is None:
        return role
    return f"{role} · {department_name(member.department, t)}"


def help_text(member: MemberRow, commands: Sequence[str], t: Translator) -> str:
    """/help: who the member is here, then the commands of their role."""
    lines = [t("help.header", title=member_title(member, t)), ""]
    lines += [f"/{name} — {t(f'cmd.{name}')}" for name in commands]
    lines += ["", t("help.footer")]
    return "\n".join(lines)
