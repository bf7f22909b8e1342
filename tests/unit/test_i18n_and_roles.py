import string
from pathlib import Path

import pytest

from bot.i18n import LOCALES, Translator, load_catalogue, normalise_locale, placeholders
from bot.menu import menu_for
from bot.roles import Role, commands_for, roles_invitable_by

HANDLER_SOURCES = sorted(Path(__file__).resolve().parents[2].joinpath("handlers").glob("*.py"))


def test_catalogues_have_same_keys_and_placeholders() -> None:
    vi, en = load_catalogue("vi"), load_catalogue("en")
    assert set(vi) == set(en)
    mismatched = [k for k in vi if placeholders(vi[k]) != placeholders(en[k])]
    assert mismatched == []


@pytest.mark.parametrize(
    ("days", "count", "expected"),
    [
        (1, 1, "1 day left | 1 change compared with the saved report."),
        (2, 0, "2 days left | 0 changes compared with the saved report."),
        ("1", "12", "1 day left | 12 changes compared with the saved report."),
        (1.0, True, "1.0 days left | True changes compared with the saved report."),
    ],
)
def test_english_nouns_agree_with_their_counts(days: object, count: object, expected: str) -> None:
    t = Translator("en")
    left = t("campaign.list.days_left", days=days)
    assert f"{left} | {t('report.summary.changes', count=count)}" == expected
    assert Translator("vi")("campaign.list.days_left", days=1) == "còn 1 ngày"


def test_plural_forms_are_english_only_and_well_formed() -> None:
    """Vietnamese nouns do not change; an English plural spec names its two words."""
    assert not [k for k, v in load_catalogue("vi").items() if ":plural:" in v]
    for key, template in load_catalogue("en").items():
        for _, name, spec, _ in string.Formatter().parse(template):
            if spec and spec.startswith("plural:"):
                one, bar, other = spec.removeprefix("plural:").partition("|")
                assert name and one and bar and other, key


def test_every_command_and_role_has_texts() -> None:
    for locale in LOCALES:
        catalogue = load_catalogue(locale)
        for role in Role:
            assert f"role.{role.value}" in catalogue
            for name in commands_for(role):
                assert f"cmd.{name}" in catalogue


def test_translator_defaults_to_vietnamese() -> None:
    assert Translator("fr").locale == "vi"
    assert Translator("en")("cancel.nothing") != Translator("vi")("cancel.nothing")


@pytest.mark.parametrize(
    ("code", "expected"), [("en-US", "en"), ("vi", "vi"), ("ru", "vi"), (None, "vi"), ("EN", "en")]
)
def test_locale_from_telegram_language(code: str | None, expected: str) -> None:
    assert normalise_locale(code) == expected


def test_help_differs_by_role() -> None:
    assert "invite" not in commands_for(Role.STAFF)
    assert "invite" in commands_for(Role.MANAGER)
    assert "invite" in commands_for(Role.ADMIN)
    assert "invite" not in commands_for(Role.BOD)


def test_invite_scope() -> None:
    assert roles_invitable_by(Role.STAFF) == []
    assert Role.ADMIN not in roles_invitable_by(Role.MANAGER)
    assert set(roles_invitable_by(Role.ADMIN)) == set(Role)


def test_menu_is_translated() -> None:
    vi = {c.command: c.description for c in menu_for(Role.MANAGER, "vi")}
    en = {c.command: c.description for c in menu_for(Role.MANAGER, "en")}
    assert vi.keys() == en.keys()
    assert vi["help"] != en["help"]
    assert [c.command for c in menu_for(None, "vi")] == ["start"]


@pytest.mark.parametrize("source", HANDLER_SOURCES, ids=lambda p: p.name)
def test_handlers_use_catalogue_keys_that_exist(source: Path) -> None:
    import re

    keys = set(re.findall(r'\bt\("([a-z_.]+)"', source.read_text(encoding="utf-8")))
    missing = keys - set(load_catalogue("vi"))
    assert missing == set()
