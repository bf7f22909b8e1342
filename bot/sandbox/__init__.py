"""Offline Telegram: a Bot API server (`server`), scripted users (`client`) and `opsbot sandbox`.

Nothing is imported here, so that loading the CLI does not start aiohttp's web stack.
"""
