"""File names as people send them: any text, slashes included."""

from __future__ import annotations

MAX_EXTENSION = 8


def extension(name: str) -> str:
    """The name's extension, lowercased with its dot (``.xlsx``), or "" when it has none.

    Read from the text itself, not as a path: a name typed in a chat app may hold slashes
    (``Doanh thu 11/.xlsx``), which a path would take for a folder and its dotfile."""
    _, dot, tail = name.rpartition(".")
    if not dot or not tail.isalnum() or len(tail) > MAX_EXTENSION:
        return ""
    return f".{tail.lower()}"
