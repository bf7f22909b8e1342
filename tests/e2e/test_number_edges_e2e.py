"""Number edges through the report form: an org file without a maximum still refuses absurd
values (with the usual two examples), ``-0`` is 0 and Arabic-Indic digits read as digits."""

from __future__ import annotations

from support.bot_harness import BotUnderTest

from bot.roles import Role


async def test_report_form_without_org_maximum(app: BotUnderTest, user_factory) -> None:
    app.org = app.org.model_copy(
        update={"metrics": tuple(m.model_copy(update={"max": None}) for m in app.org.metrics)}
    )
    await app.restart()
    minh = user_factory(5301, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE",))
    await minh.send("/report")
    assert "(1/7)" in (await minh.next_message()).text
    await minh.send("999999999999999999999999999tr")
    refusal = (await minh.next_message()).text
    assert "bất thường" in refusal and "12,5tr" in refusal and "12.500.000" in refusal
    assert "(2/7)" not in refusal  # still at the first question
    await minh.send("١٢,٥tr")  # Arabic-Indic digits
    accepted = (await minh.next_message()).text
    assert "12.500.000 ₫" in accepted and "(2/7)" in accepted
    await minh.send("-0")
    zero = (await minh.next_message()).text
    assert "0 ₫" in zero and "(3/7)" in zero and "âm" not in zero
