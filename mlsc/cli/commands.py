"""Every command of `mlsc` by name, with its one-line help; a command's module is imported
only when that command runs.

    $ mlsc -h                        # lists them all, imports none
    $ mlsc blast-radius X -f json    # imports mlsc.cli.query, not ingest, scan or audit

A command is declared in its module as before (``@app.command(...)`` on a typer app, a
group as a typer app of its own); it is listed here too, so that the root can name it and
say what it does without importing it. ``tests/cli/test_conventions.py`` checks that the
two agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import typer
from typer.models import TyperInfo

from mlsc.cli.options import Group


@dataclass(frozen=True)
class Entry:
    """Where a command of the root is declared, and what ``mlsc -h`` says of it."""

    module: str
    """The module that declares it, imported when it runs."""
    app: str
    """The typer app of that module that holds it."""
    command: str | None
    """Its name in that app; None when the app is the command (a group of commands)."""
    short_help: str
    """One line for ``mlsc -h``, short enough for 80 columns."""


COMMANDS: dict[str, Entry] = {
    "lineage": Entry(
        "mlsc.cli.query", "app", "lineage", "Where a model came from and what derives from it."
    ),
    "blast-radius": Entry(
        "mlsc.cli.query",
        "app",
        "blast-radius",
        "What is affected if a model, actor or commit is compromised.",
    ),
    "reach": Entry("mlsc.cli.query", "app", "reach", "How much of the hub an actor can influence."),
    "stats": Entry(
        "mlsc.cli.query", "app", "stats", "How many nodes and edges of each kind there are."
    ),
    "cypher": Entry(
        "mlsc.cli.query",
        "app",
        "cypher",
        "Run Cypher on the knowledge base (read-only unless --write).",
    ),
    "copy": Entry(
        "mlsc.cli.query", "app", "copy", "Copy a whole knowledge base between the two stores."
    ),
    "scan": Entry(
        "mlsc.cli.scan", "app", "scan", "Find unsafe serialisation in model files, loading none."
    ),
    "audit": Entry(
        "mlsc.cli.audit", "app", "audit", "The models an application loads, and what is known."
    ),
    "ingest": Entry(
        "mlsc.cli.ingest", "app", None, "Write models, owners and derivations into the store."
    ),
    "top": Entry("mlsc.cli.query", "top_app", None, "Rank models or actors by reach."),
    "export": Entry(
        "mlsc.cli.export", "app", None, "Write the knowledge base out for other tools."
    ),
    "report": Entry("mlsc.cli.report", "app", None, "Security reports over the knowledge base."),
}
"""The root's commands, in the order ``mlsc -h`` lists them."""


def load(name: str, entry: Entry) -> Any:
    """The click command ``name`` of the root, made by typer from its declaration."""
    app: typer.Typer = getattr(importlib.import_module(entry.module), entry.app)
    command: Any
    if entry.command is None:
        command = typer.main.get_group_from_info(
            TyperInfo(app, name=name),
            pretty_exceptions_short=True,
            suggest_commands=True,
            rich_markup_mode=None,
        )
        command.name = name
    else:
        (info,) = (
            i
            for i in app.registered_commands
            if (i.name or typer.main.get_command_name(getattr(i.callback, "__name__", "")))
            == entry.command
        )
        command = typer.main.get_command_from_info(
            info, pretty_exceptions_short=True, rich_markup_mode=None
        )
    command.short_help = entry.short_help
    return command


class Commands(MutableMapping[str, Any]):
    """A group's commands by name, each made (and its module imported) on first access."""

    def __init__(self, entries: Mapping[str, Entry]) -> None:
        self._entries = dict(entries)
        self._made: dict[str, Any] = {}
        self._names = list(entries)

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = load(name, self._entries[name])
        return self._made[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._made.pop(name, None)
        self._entries.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def short_help(self, name: str) -> str:
        """What ``-h`` says of ``name``, without making it when it is not made yet."""
        if name in self._made:
            return str(self._made[name].get_short_help_str())
        return self._entries[name].short_help


class LazyGroup(Group):
    """A group whose commands come from ``COMMANDS``, made when run: listing them (``-h``,
    a typo's suggestions) imports nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = Commands(COMMANDS)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = self.commands
        assert isinstance(commands, Commands)
        rows = [(name, commands.short_help(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
