"""The cursor every conversational form keeps: the daily report's and the order request's
drafts must answer exactly alike (next, Back, position, answers, skips, saving)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from bot.domain.campaign_draft import CampaignDraft
from bot.domain.form_cursor import FormCursor, new_run_id
from bot.domain.order_draft import OrderDraft
from bot.domain.report_draft import Draft
from bot.domain.report_subject import Subject
from bot.org.sections import OrderField, OrderType

FIELDS = ["gmv", "nmv", "orders", "notes"]
REQUIRED = ["gmv", "orders"]


def report_draft() -> Draft:
    subject = Subject("store:1", "HS-SHOPEE · Hoa Sen", store_id=1, store_code="HS-SHOPEE")
    return Draft.start(subject, "growth", date(2026, 11, 20), FIELDS, REQUIRED)


def order_draft() -> OrderDraft:
    fields = tuple(
        OrderField(key=key, label=key.upper(), type="number", required=key in REQUIRED)
        for key in FIELDS
    )
    order_type = OrderType(code="banner", name="Banner", department="design", fields=fields)
    return OrderDraft.start(order_type)


def campaign_draft() -> CampaignDraft:
    # The campaign form asks fixed questions; the cursor checks run on the shared fields.
    return CampaignDraft(rid=new_run_id(), fields=list(FIELDS), required=list(REQUIRED))


DRAFTS = pytest.mark.parametrize(
    "make", [report_draft, order_draft, campaign_draft], ids=["report", "order", "campaign"]
)
Make = Callable[[], FormCursor[float]]


@DRAFTS
def test_a_new_run_starts_at_the_first_field(make: Make) -> None:
    draft = make()
    assert len(draft.rid) == 8 and draft.rid != make().rid
    assert draft.fields == FIELDS and draft.required == REQUIRED
    assert draft.current is None and draft.answers == {} and draft.skipped == []
    assert draft.next_field() == "gmv"
    assert draft.missing_required() == ["gmv", "orders"]


@DRAFTS
def test_next_field_passes_answers_and_skips(make: Make) -> None:
    draft = make()
    draft.answer("gmv", 12.5)
    assert draft.next_field() == "nmv"
    draft.skip("nmv")
    assert draft.next_field() == "orders"
    draft.answer("notes", 1)
    assert draft.next_field() == "orders"  # in form order, not answer order
    draft.answer("orders", 85)
    assert draft.next_field() is None
    assert draft.advance() is None
    assert draft.missing_required() == []


@DRAFTS
def test_previous_field_from_each_place(make: Make) -> None:
    draft = make()
    assert draft.previous_field() == "notes"  # from the summary: the last question
    draft.current = "gmv"
    assert draft.previous_field() is None  # the first question has none
    draft.current = "orders"
    assert draft.previous_field() == "nmv"
    draft.current = "gone"  # a field the org file no longer has
    assert draft.previous_field() is None


@DRAFTS
def test_position_counts_from_one(make: Make) -> None:
    draft = make()
    assert draft.position("gmv") == (1, 4)
    assert draft.position("notes") == (4, 4)


@DRAFTS
def test_answer_and_skip_undo_each_other(make: Make) -> None:
    draft = make()
    draft.skip("notes")
    draft.skip("notes")
    assert draft.skipped == ["notes"]
    draft.answer("notes", 3)
    assert draft.skipped == [] and draft.answers == {"notes": 3}
    draft.skip("notes")
    assert draft.skipped == ["notes"] and draft.answers == {}


@DRAFTS
def test_skipping_a_required_field_leaves_it_missing(make: Make) -> None:
    draft = make()
    draft.answer("gmv", 1)
    draft.skip("orders")
    assert draft.missing_required() == ["orders"]


@DRAFTS
def test_round_trip_through_fsm_data_as_plain_json(make: Make) -> None:
    draft = make()
    draft.answer("gmv", 12.5)
    draft.skip("nmv")
    draft.current = "orders"
    data = json.loads(json.dumps(draft.to_data()))
    assert list(data) == [type(draft).data_key]
    again = type(draft).from_data(data)
    assert again == draft
    assert again is not None and again.next_field() == "orders"


@DRAFTS
def test_no_run_in_the_data_is_none(make: Make) -> None:
    draft = make()
    assert type(draft).from_data({}) is None
    assert type(draft).from_data({"pick_rid": "abcd1234"}) is None
    assert type(draft).from_data({type(draft).data_key: "corrupt"}) is None


def test_each_form_keeps_its_own_slot() -> None:
    report, order = report_draft(), order_draft()
    assert OrderDraft.from_data(report.to_data()) is None
    assert Draft.from_data(order.to_data()) is None


def test_both_drafts_walk_a_form_identically() -> None:
    def walk(draft: FormCursor[float]) -> list[object]:
        seen: list[object] = [draft.next_field(), draft.previous_field()]
        for key in FIELDS:
            draft.current = key
            seen += [draft.position(key), draft.previous_field()]
            if key in REQUIRED:
                draft.answer(key, 1.0)
            else:
                draft.skip(key)
            seen += [draft.advance(), list(draft.missing_required())]
        draft.current = None
        return [*seen, draft.previous_field(), draft.answers, draft.skipped]

    assert walk(report_draft()) == walk(order_draft())


def test_a_report_edited_from_the_summary_goes_back_to_it() -> None:
    draft = report_draft()
    draft.returning = True
    assert draft.advance() is None and not draft.returning
    assert draft.advance() == "gmv"


def test_a_report_answer_clears_the_pending_outlier() -> None:
    draft = report_draft()
    draft.pending_key, draft.pending_value = "gmv", 125e6
    draft.answer("gmv", 125e6)
    assert draft.pending_key is None and draft.pending_value is None


def test_a_report_correction_keeps_its_base_through_the_data() -> None:
    subject = Subject("member:7", "Lan", member_id=7)
    draft = Draft.start(subject, "media", date(2026, 11, 20), ["videos"], [], 2, {"videos": 4})
    draft.skip("videos")
    again = Draft.from_data(json.loads(json.dumps(draft.to_data())))
    assert again == draft and again is not None
    assert again.is_correction() and again.values_to_save() == {"videos": None}
