"""The framework ceiling: a bare aiogram echo bot in webhook mode (aiohttp, aiogram's own
request handler), for bench/webhook_bench.py to put behind the same nginx and load generator as
the opsbot workers.

It answers every text with the same text through a real sendMessage call (as opsbot's replies
are), and acknowledges the webhook request once the handler is done, like opsbot does.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:8081 WEBHOOK_SECRET=... \
        python bench/echo_bot.py --port 8090

GET /readyz answers 200 once it listens (the bench waits on it as on a worker).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web


async def echo(message: Message) -> None:
    await message.answer(message.text or "?", parse_mode=None)


async def ready(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


async def serve(host: str, port: int) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token=os.environ["WEBHOOK_SECRET"]
    ).register(app, path="/telegram/webhook")
    app.router.add_get("/readyz", ready)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await bot.session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
