"""One output object for the CLI: data to stdout, everything else to stderr.

Formats return or print data; status, progress and errors go to stderr, so
``mlsc blast-radius X --format json | jq`` always gets clean JSON.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class Output:
    """Where the CLI writes. Colour follows the terminal and ``NO_COLOR``. The consoles are
    made on first use: JSON output never imports rich (about 30 ms of a process start)."""

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        console = Console(highlight=False)
        if not console.is_terminal:
            console.width = 240  # a pipe or a file: never cut ids to 80 columns
        return console

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True)

    def json(self, data: Any) -> None:
        """``data`` as indented JSON and a newline, its UTF-8 bytes written as they come
        (no decoding to text and encoding back: megabytes for a hub's blast radius)."""
        import orjson

        option = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        payload = orjson.dumps(data, default=_json_default, option=option)
        stream = sys.stdout
        stream.flush()  # what was written as text before goes first
        binary = getattr(stream, "buffer", None)
        if binary is None:  # a text-only stream (a StringIO put in its place)
            stream.write(payload.decode())
            stream.flush()
            return
        binary.write(payload)
        binary.flush()

    def table(
        self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        from rich.markup import escape
        from rich.table import Table

        from mlsc.render.text import RIGHT_ALIGNED, cell

        table = Table(title=escape(title) if title else None, title_justify="left")
        for column in columns:
            justify = "right" if column in RIGHT_ALIGNED else "left"
            table.add_column(escape(column), justify=justify, overflow="fold")  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*(escape(cell(v)) for v in row))
        self.out.print(table)

    def line(self, text: str = "") -> None:
        """Plain data text to stdout (no markup interpretation)."""
        self.out.print(text, markup=False)

    def info(self, text: str) -> None:
        self.err.print(text, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {text}", markup=False, style="yellow")

    def error(self, text: str) -> None:
        self.err.print(f"error: {text}", markup=False, style="bold red")

    @contextmanager
    def progress(self, label: str) -> Iterator[Any]:
        """A byte-based progress bar on stderr; yields a callback(done, total)."""
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )

        if not self.err.is_terminal:
            yield lambda done, total: None
            return
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task(escape(label), total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update

    @contextmanager
    def counter(self, label: str, unit: str) -> Iterator[Any]:
        """A counting progress bar (done / known so far, rate) on stderr; yields
        callback(done, total)."""
        from rich.markup import escape
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        if not self.err.is_terminal:
            yield lambda done, total: None
            return
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(f"{{task.fields[rate]:.1f}} {unit}/s"),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            task = bar.add_task(escape(label), total=None, rate=0.0)
            start = time.monotonic()

            def update(done: int, total: int | None) -> None:
                rate = done / max(time.monotonic() - start, 1e-6)
                bar.update(task, completed=done, total=total, rate=rate)

            yield update


def _json_default(value: Any) -> Any:
    """Values the engines return that JSON lacks: 128-bit sums arrive as Decimal."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)
