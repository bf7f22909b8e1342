"""A real aiogram Dispatcher polling the sandbox, driven by scripted users."""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sandbox_support import PNG

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer


def demo_router() -> Router:
    router = Router()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Đồng ý", callback_data="ok"),
                InlineKeyboardButton(text="Huỷ", callback_data="cancel"),
            ]
        ]
    )

    @router.message(Command("start"))
    async def start(message: Message, command: CommandObject) -> None:
        name = html.escape(message.from_user.first_name if message.from_user else "?")
        suffix = f" ({html.escape(command.args)})" if command.args else ""
        await message.answer(f"Xin chào <b>{name}</b>{suffix}", reply_markup=keyboard)

    @router.callback_query(F.data == "ok")
    async def agreed(callback: CallbackQuery) -> None:
        await callback.answer("Đã lưu")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("Đã đồng ý ✅")

    @router.callback_query(F.data == "cancel")
    async def cancelled(callback: CallbackQuery) -> None:
        await callback.answer("Đã huỷ", show_alert=True)
        assert isinstance(callback.message, Message)
        await callback.message.edit_reply_markup(reply_markup=None)

    @router.message(Command("photo"))
    async def photo(message: Message) -> None:
        await message.answer_photo(
            BufferedInputFile(PNG, "chart.png"), caption="Biểu đồ <i>tuần</i>"
        )

    @router.message(Command("report"))
    async def report(message: Message) -> None:
        await message.answer_document(
            BufferedInputFile(b"a,b\n1,2\n", "report.csv"), caption="Báo cáo"
        )

    @router.message(F.document)
    async def received(message: Message, bot: Bot) -> None:
        assert message.document is not None
        buffer = io.BytesIO()
        await bot.download(message.document, destination=buffer)
        digest = hashlib.sha256(buffer.getvalue()).hexdigest()[:12]
        await message.answer(f"Nhận {html.escape(message.document.file_name or '')}: {digest}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        chat = "group" if message.chat.type == "group" else "private"
        await message.answer(f"{chat}: {html.escape(message.text or '')}")

    return router


@pytest.fixture
async def polling(bot: Bot) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher()
    dispatcher.include_router(demo_router())
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    yield dispatcher
    await dispatcher.stop_polling()
    await asyncio.wait_for(task, 5)


async def test_echo_escapes_and_keeps_order(polling: Dispatcher, alice: SandboxUser) -> None:
    await alice.send("một <hai> & ba")
    await alice.send("bốn")
    first = await alice.next_message()
    second = await alice.next_message()
    assert first.text == "private: một <hai> & ba"
    assert second.text == "private: bốn"
    await alice.assert_no_output(within=0.1)


async def test_start_with_args_shows_buttons(polling: Dispatcher, alice: SandboxUser) -> None:
    await alice.send_command("start", "abc")
    reply = await alice.next_message()
    assert reply.text == "Xin chào Alice (abc)"
    assert reply.buttons == [["Đồng ý", "Huỷ"]]
    assert reply.raw["entities"] == [{"type": "bold", "offset": 9, "length": 5}]
    assert alice.last_message_with_buttons is not None
    assert alice.last_message_with_buttons.message_id == reply.message_id


async def test_press_answers_and_edits(
    polling: Dispatcher, alice: SandboxUser, server: SandboxServer
) -> None:
    await alice.send_command("start")
    menu = await alice.next_message()
    await alice.press("Đồng ý")
    answer = await alice.next_callback_answer()
    edit = await alice.next_edit()
    assert answer.text == "Đã lưu"
    assert not answer.show_alert
    assert edit.message_id == menu.message_id
    assert edit.text == "Đã đồng ý ✅"
    assert edit.buttons == []
    stored = server.message(alice.user_id, menu.message_id)
    assert stored is not None and stored["text"] == "Đã đồng ý ✅" and "edit_date" in stored
    with pytest.raises(AssertionError, match="no bot message with inline buttons"):
        await alice.press("Đồng ý")


async def test_press_on_a_given_message_and_edit_markup(
    polling: Dispatcher, alice: SandboxUser
) -> None:
    await alice.send_command("start")
    older = await alice.next_message()
    await alice.send_command("start")
    await alice.next_message()
    await alice.press("Huỷ", message=older)
    answer = await alice.next_callback_answer()
    edit = await alice.next_edit()
    assert answer.show_alert
    assert edit.message_id == older.message_id
    assert edit.buttons == []
    assert edit.text == "Xin chào Alice"


async def test_press_unknown_button_lists_available(
    polling: Dispatcher, alice: SandboxUser
) -> None:
    await alice.send_command("start")
    await alice.next_message()
    with pytest.raises(AssertionError, match=r"'Xoá'.*\[\['Đồng ý', 'Huỷ'\]\]"):
        await alice.press("Xoá")


async def test_photo_upload(polling: Dispatcher, alice: SandboxUser, server: SandboxServer) -> None:
    await alice.send_command("photo")
    photo = await alice.next_photo()
    assert photo.data == PNG
    assert photo.file_name == "chart.png"
    assert photo.text == "Biểu đồ tuần"
    sizes = photo.raw["photo"]
    assert (sizes[-1]["width"], sizes[-1]["height"]) == (640, 480)
    assert max(s["width"] for s in sizes[:-1]) < 640
    assert server.file_bytes(sizes[0]["file_id"]) == PNG


async def test_document_upload_and_get_file(
    polling: Dispatcher, alice: SandboxUser, bot: Bot
) -> None:
    await alice.send_command("report")
    document = await alice.next_document()
    assert document.data == b"a,b\n1,2\n"
    assert document.raw["document"]["file_name"] == "report.csv"
    assert document.raw["document"]["mime_type"] == "text/csv"
    file = await bot.get_file(document.raw["document"]["file_id"])
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"a,b\n1,2\n"


async def test_bot_downloads_user_document(polling: Dispatcher, alice: SandboxUser) -> None:
    content = b"sku,qty\nA1,3\n" * 50
    await alice.send_document("orders.csv", content, caption="đơn hàng")
    reply = await alice.next_message()
    assert reply.text == f"Nhận orders.csv: {hashlib.sha256(content).hexdigest()[:12]}"


async def test_group_chat(
    polling: Dispatcher, alice: SandboxUser, bob: SandboxUser, server: SandboxServer
) -> None:
    server.register_group(-100, "Kho HCM")
    await alice.send("chào nhóm", chat_id=-100)
    reply = await alice.next_message()
    assert reply.chat_id == -100
    assert reply.text == "group: chào nhóm"
    await bob.assert_no_output(within=0.1)


async def test_blocked_user_sees_nothing(
    polling: Dispatcher, alice: SandboxUser, server: SandboxServer, bot: Bot
) -> None:
    from aiogram.exceptions import TelegramForbiddenError

    server.block_user(alice.user_id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.user_id, "hi")
    await alice.send("again")  # writing to the bot unblocks it
    assert (await alice.next_message()).text == "private: again"
