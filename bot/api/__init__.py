"""The HTTP ingest API (FastAPI): ``build_api`` builds it, ``ApiServer`` serves it on the bot's
event loop. An adapter like ``handlers/``: it goes through ``bot.services``, never SQL."""

from bot.api.app import build_api
from bot.api.server import ApiServer

__all__ = ["ApiServer", "build_api"]
