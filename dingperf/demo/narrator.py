"""How the demo talks: numbered acts, short facts, tables; plain text when not on a terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def _is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


class Narrator:
    """Prints the demo's story; everything it shows is read back from the store or the sandbox."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, width=None if _is_tty() else 110)
        self._act = 0

    def act(self, title: str) -> None:
        self._act += 1
        self.console.print(f"\n[bold cyan]{self._act}. {title}[/]")

    def say(self, text: str) -> None:
        self.console.print(f"   {text}", soft_wrap=True)

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
        if title:
            self.say(title.strip())
        t = Table(*columns, show_lines=False, pad_edge=False)
        for row in rows:
            t.add_row(*(str(c) for c in row))
        self.console.print(t)

    def block(self, text: str) -> None:
        self.console.print(text, markup=False, soft_wrap=True)
