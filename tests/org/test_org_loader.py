"""Every problem in the org file is reported with the line it is on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from org_helpers import DEMO_ORG, edit, line_number

from bot.org.loader import OrgFileError, OrgProblem, check_org, load_org, parse_org_text

MINIMAL = """\
timezone: Asia/Ho_Chi_Minh
departments:
  - code: growth
    name: { vi: Tăng trưởng, en: Growth }
brands:
  - code: HS
    name: Hoa Sen
stores:
  - code: HS-SHOPEE
    name: Hoa Sen Shopee
    brand: HS
    platform: shopee
    department: growth
  - code: HS-TIKTOK
    name: Hoa Sen TikTok
    brand: HS
    platform: tiktok
    department: growth
metrics:
  - key: gmv
    label: GMV
    unit: money
  - key: orders
    label: { vi: Đơn hàng, en: Orders }
    unit: count
  - key: aov
    label: AOV
    unit: money
    formula: gmv / orders
forms:
  - department: growth
    per: store
    metrics: [gmv, orders]
schedules:
  reminder: "10:30"
  escalation: "11:00"
"""


def only_problem(text: str) -> OrgProblem:
    org, problems = parse_org_text(text)
    assert org is None
    assert len(problems) == 1, problems
    return problems[0]


def problems_of(text: str) -> list[OrgProblem]:
    org, problems = parse_org_text(text)
    assert org is None
    assert problems
    return problems


def test_minimal_file_is_valid() -> None:
    org, problems = parse_org_text(MINIMAL)
    assert problems == []
    assert org is not None
    assert [s.code for s in org.stores] == ["HS-SHOPEE", "HS-TIKTOK"]


def test_demo_file_is_valid() -> None:
    org, problems = check_org(DEMO_ORG)
    assert problems == []
    assert org is not None
    assert len(org.brands) >= 3
    assert len(org.stores) >= 6
    assert {s.platform for s in org.stores} >= {"shopee", "tiktok"}
    assert {d.code for d in org.departments} == {
        "growth",
        "booking",
        "livestream",
        "media",
        "design",
    }
    assert {m.key for m in org.derived_metrics} == {"aov", "cr", "cancel_rate", "roas"}
    assert {r.type for r in org.alert_rules} == {
        "pacing",
        "daily",
        "ratio_band",
        "anomaly",
        "missing_data",
    }
    assert org.chats.bod == -1001000000001


# --- exact line numbers on a small file ---------------------------------------------------------


def test_unknown_brand_points_at_the_brand_line() -> None:
    text = MINIMAL.replace(
        "    brand: HS\n    platform: tiktok", "    brand: HSX\n    platform: tiktok"
    )
    problem = only_problem(text)
    assert (problem.line, problem.path) == (16, "stores[1].brand")
    assert problem.message == "unknown brand 'HSX'"
    assert problem.hint == "did you mean 'HS'?"
    far = only_problem(text.replace("brand: HSX", "brand: ZZ"))
    assert far.hint == "known: HS"


def test_typo_key_gets_did_you_mean_and_no_second_missing_error() -> None:
    problem = only_problem(MINIMAL.replace("    name: Hoa Sen TikTok", "    nmae: Hoa Sen TikTok"))
    assert (problem.line, problem.path) == (15, "stores[1].nmae")
    assert problem.message == "unknown key 'nmae'"
    assert problem.hint == "did you mean 'name'?"


def test_hour_25_is_rejected_on_its_line() -> None:
    problem = only_problem(MINIMAL.replace('escalation: "11:00"', 'escalation: "25:00"'))
    assert (problem.line, problem.path) == (36, "schedules.escalation")
    assert "hour must be 00-23" in problem.message


def test_yaml_syntax_error_reports_its_line() -> None:
    problem = only_problem(
        MINIMAL.replace("    unit: money\n  - key: orders", "    unit: [money\n  - key: orders")
    )
    assert problem.line == 23
    assert problem.message.startswith("YAML syntax:")


def test_duplicate_store_code_points_at_the_second_one() -> None:
    problem = only_problem(MINIMAL.replace("  - code: HS-TIKTOK", "  - code: HS-SHOPEE"))
    assert (problem.line, problem.path) == (14, "stores[1].code")
    assert problem.message == "duplicate store code 'HS-SHOPEE'"
    assert "stores[0]" in (problem.hint or "")


def test_formula_with_unknown_metric() -> None:
    problem = only_problem(MINIMAL.replace("formula: gmv / orders", "formula: gmv / oders"))
    assert (problem.line, problem.path) == (29, "metrics[2].formula")
    assert problem.message == "unknown metric in formula 'oders'"
    assert problem.hint == "did you mean 'orders'?"


def test_unsafe_formula_is_a_syntax_problem_not_code() -> None:
    problem = only_problem(
        MINIMAL.replace("formula: gmv / orders", "formula: __import__('os').system('x')")
    )
    assert (problem.line, problem.path) == (29, "metrics[2].formula")
    assert "unexpected character '_' at column 1" in problem.message


def test_cyclic_formulas_are_reported_on_each_formula_line() -> None:
    text = MINIMAL.replace("formula: gmv / orders", "formula: gmv / roas").replace(
        "forms:\n",
        "  - key: roas\n    label: ROAS\n    unit: number\n    formula: aov * 2\nforms:\n",
    )
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (29, "metrics[2].formula"),
        (33, "metrics[3].formula"),
    ]
    assert problems[0].message == "formula of 'aov' depends on itself: aov -> roas -> aov"


def test_duplicate_yaml_key_is_reported() -> None:
    problem = only_problem(MINIMAL + "timezone: Asia/Bangkok\n")
    assert (problem.line, problem.path) == (37, "timezone")
    assert problem.hint == "first defined at line 1"


def test_missing_required_key_points_at_the_item() -> None:
    problem = only_problem(MINIMAL.replace("    platform: tiktok\n", ""))
    assert (problem.line, problem.path) == (14, "stores[1].platform")
    assert problem.message == "missing required key 'platform'"
    assert problem.hint is not None and "tiktok" in problem.hint


def test_unknown_platform_gets_a_suggestion() -> None:
    problem = only_problem(MINIMAL.replace("platform: tiktok", "platform: tiktoks"))
    assert (problem.line, problem.path) == (17, "stores[1].platform")
    assert problem.hint == "did you mean 'tiktok'?"


def test_unknown_top_level_section() -> None:
    problem = only_problem(MINIMAL.replace("schedules:", "schedule:"))
    assert (problem.line, problem.path) == (34, "schedule")
    assert problem.hint == "did you mean 'schedules'?"


def test_impossible_date_and_tab_indentation() -> None:
    problem = only_problem(MINIMAL + "report:\n  holidays: [2026-02-30]\n")
    assert problem.line == 38
    assert "invalid date" in problem.message
    problem = only_problem(MINIMAL.replace("  - code: HS-TIKTOK", "\t- code: HS-TIKTOK"))
    assert problem.line == 14
    assert problem.hint == "indent with spaces, not tabs"


def test_bad_code_and_bad_metric_key() -> None:
    problem = only_problem(MINIMAL.replace("code: HS-TIKTOK", "code: HS TIKTOK"))
    assert (problem.line, problem.path) == (14, "stores[1].code")
    problems = problems_of(MINIMAL.replace("  - key: orders", "  - key: Orders"))
    assert (problems[0].line, problems[0].path) == (23, "metrics[1].key")


def test_form_metric_problems() -> None:
    problem = only_problem(MINIMAL.replace("metrics: [gmv, orders]", "metrics: [gmv, orders, aov]"))
    assert (problem.line, problem.path) == (33, "forms[0].metrics[2]")
    assert "derived" in problem.message
    problem = only_problem(MINIMAL.replace("metrics: [gmv, orders]", "metrics: [gmv, oders]"))
    assert (problem.line, problem.path) == (33, "forms[0].metrics[1]")
    assert problem.hint == "did you mean 'orders'?"
    check = MINIMAL.replace(
        "    metrics: [gmv, orders]\n",
        "    metrics: [gmv, orders]\n    cross_checks: [orders <= traffic]\n",
    )
    problem = only_problem(check)
    assert (problem.line, problem.path) == (34, "forms[0].cross_checks[0]")
    assert "'traffic'" in problem.message


def test_plain_yaml_values_are_not_surprising() -> None:
    text = MINIMAL.replace('reminder: "10:30"', "reminder: 10:30").replace(
        "code: HS\n", "code: NO\n"
    )
    text = text.replace("brand: HS\n", "brand: NO\n")
    org, problems = parse_org_text(text)
    assert problems == []
    assert org is not None
    assert org.schedules.reminder.strftime("%H:%M") == "10:30"
    assert org.brands[0].code == "NO"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "the file must be a mapping"),
    ],
)
def test_files_without_a_mapping(text: str, message: str) -> None:
    assert only_problem(text).message.startswith(message)


# --- the demo file, broken in the ways people break it --------------------------------------------


def demo_problem(demo_text: str, old: str, new: str) -> tuple[OrgProblem, int]:
    broken = edit(demo_text, old, new)
    problem = only_problem(broken)
    return problem, line_number(broken, new.strip().splitlines()[0])


def test_demo_bad_brand(demo_text: str) -> None:
    problem, line = demo_problem(
        demo_text, "    brand: GDAP\n    platform: tiktok", "    brand: GDAPX\n    platform: tiktok"
    )
    assert problem.line == line
    assert problem.path.endswith(".brand")
    assert problem.hint == "did you mean 'GDAP'?"


def test_demo_typo_in_alert_rule(demo_text: str) -> None:
    problem, line = demo_problem(demo_text, "    drop: 40 ", "    dorp: 40 ")
    assert problem.line == line
    assert problem.hint == "did you mean 'drop'?"


def test_demo_bad_time(demo_text: str) -> None:
    problem, line = demo_problem(demo_text, 'deadline: "10:30"', 'deadline: "25:00"')
    assert (problem.line, problem.path) == (line, "report.deadline")


def test_demo_duplicate_store(demo_text: str) -> None:
    problem, line = demo_problem(demo_text, "  - code: GDAP-TIKTOK", "  - code: GDAP-SHOPEE  # dup")
    assert problem.line == line
    assert problem.message == "duplicate store code 'GDAP-SHOPEE'"


def test_demo_unknown_alert_rule_type(demo_text: str) -> None:
    problem, line = demo_problem(demo_text, "type: anomaly", "type: anomali")
    assert problem.line == line
    assert problem.path.endswith(".type")
    assert problem.hint == "did you mean 'anomaly'?"


def test_demo_unknown_order_department(demo_text: str) -> None:
    problem, line = demo_problem(
        demo_text, "    department: design\n    fields:", "    department: designs\n    fields:"
    )
    assert problem.line == line
    assert problem.path == "order_types[0].department"


def test_demo_yaml_syntax_error(demo_text: str) -> None:
    broken = edit(demo_text, "  - code: HS\n", "  - code: HS\n   bad: [\n")
    problem = only_problem(broken)
    assert problem.line == line_number(broken, "   bad: [")


# --- files and exceptions -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    org, problems = check_org(tmp_path / "nope.yaml")
    assert org is None
    assert problems[0].line is None
    assert "cannot read" in problems[0].message


def test_load_org_raises_with_all_problems(write_org: Callable[[str], Path]) -> None:
    path = write_org(MINIMAL.replace("brand: HS", "brand: HX"))
    with pytest.raises(OrgFileError) as info:
        load_org(path)
    assert [p.line for p in info.value.problems] == [11, 16]
    assert str(info.value).startswith(f"{path}:11: stores[0].brand")
    assert load_org(write_org(MINIMAL)).stores[0].code == "HS-SHOPEE"


def test_problem_format() -> None:
    assert (
        OrgProblem(3, "stores[0].brand", "unknown brand 'X'", "did you mean 'HS'?").format(
            "org.yaml"
        )
        == "org.yaml:3: stores[0].brand: unknown brand 'X' (hint: did you mean 'HS'?)"
    )
    assert (
        OrgProblem(None, "", "the file is empty").format("org.yaml")
        == "org.yaml: the file is empty"
    )


def test_structure_and_reference_problems_are_reported_together() -> None:
    text = MINIMAL.replace('escalation: "11:00"', 'escalation: "25:00"')
    text = text.replace(
        "    brand: HS\n    platform: tiktok", "    brand: HSX\n    platform: tiktok"
    )
    problems = problems_of(text)
    assert [(p.line, p.path) for p in problems] == [
        (16, "stores[1].brand"),
        (36, "schedules.escalation"),
    ]


def test_problems_caused_by_a_broken_section_are_not_reported() -> None:
    # With `brands` unreadable, "unknown brand" on every store would only be noise.
    problem = only_problem(
        MINIMAL.replace("  - code: HS\n    name: Hoa Sen\n", "  - code: HS\n    nam: Hoa Sen\n")
    )
    assert (problem.line, problem.path) == (7, "brands[0].nam")
