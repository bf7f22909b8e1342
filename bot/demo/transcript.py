"""The demo transcript: what happens in every chat, printed and saved; images kept as files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TextIO

from bot.sandbox.models import ChatEvent


class Transcript:
    """Prints what happens in every chat, and keeps the images the bot sent."""

    def __init__(self, output: Path, stream: TextIO) -> None:
        self.output = output
        self.stream = stream
        self.file = (output / "transcript.txt").open("w", encoding="utf-8")
        self.images: list[Path] = []

    def close(self) -> None:
        self.file.close()

    def write(self, line: str = "") -> None:
        print(line, file=self.stream, flush=True)
        print(line, file=self.file, flush=True)

    def scene(self, title: str) -> None:
        self.write()
        self.write(f"━━ {title} ━━")

    def on_event(self, event: ChatEvent) -> None:
        if event.kind == "callback_answer":
            if event.text:
                self.write(f"   (toast for {event.user}: {event.text})")
            return
        if event.kind == "button_press":
            self.write(f"👆 {event.user} presses [{event.text}]")
            return
        if not event.from_bot:
            attached = f"[📎 {event.file_name}] " if event.file_name else ""
            self.write(f"🧑 {event.user}: {attached}{event.text}".rstrip())
            return
        self._bot_event(event)

    def _bot_event(self, event: ChatEvent) -> None:
        label = {"bot_edit": "✏️  bot (edit)"}.get(event.kind, "🤖 bot")
        text = event.text
        if event.kind in ("bot_photo", "bot_document") and event.data is not None:
            path = self._save(event)
            text = f"[{event.kind.removeprefix('bot_')} saved to {path}] {text}"
        self.write(f"{label} → {event.user}:")
        self.write(textwrap.indent(text, "   "))
        for row in event.buttons:
            self.write("   " + "  ".join(f"[{b}]" for b in row))

    def _save(self, event: ChatEvent) -> Path:
        name = event.file_name or f"image-{len(self.images) + 1}.png"
        path = self.output / f"{len(self.images) + 1:02d}-{name}"
        path.write_bytes(event.data or b"")
        self.images.append(path)
        return path
