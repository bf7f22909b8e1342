"""The org file's ``sources`` section: where numbers arrive from without typing.

``formats`` declares column mappings for exports the bot has no built-in reader for (a POS such
as KiotViet) and extra header names for the built-in ones (``bot.org.import_formats``);
``connected`` marks stores whose numbers arrive by themselves, from file imports or the HTTP API,
and by when (``bot.org.connectors``).
"""

from __future__ import annotations

from bot.org.connectors import ConnectedStores
from bot.org.fields import Strict
from bot.org.import_formats import ImportFormats


class Sources(Strict):
    formats: ImportFormats = ImportFormats()
    connected: ConnectedStores = ()
