"""What every command shares: the store and format options, declared once, the store they
open, and where results go.

    @app.command(cls=Command)
    @uses_store()
    def stats() -> None:
        with connect(read_only=True) as store:
            counts = store.counts()
        emit(counts, text.counts_table, store.location)

``uses_store`` gives a command ``--db``, ``--backend``, ``--neo4j-uri``,
``--neo4j-database`` and ``--format`` and records what they were given as; ``connect`` and
``emit`` read that record. The same options are also global (``mlsc --db X stats``): the root
callback keeps them in ``GLOBAL``, and the command's own win over them.

Data goes to stdout (a table, or JSON with ``--format json``); progress, warnings and errors
go to stderr, so ``mlsc blast-radius X --format json | jq`` always gets clean JSON.
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from mlsc.cli.coercion import coerced
from mlsc.cli.output import Output
from mlsc.errors import MlscError

if TYPE_CHECKING:
    from mlsc.graph.store import GraphStore
    from mlsc.render.text import Block


F = TypeVar("F", bound=enum.StrEnum)
C = TypeVar("C", bound=Callable[..., Any])


class Format(enum.StrEnum):
    table = "table"
    json = "json"


class ScanFormat(enum.StrEnum):
    """``mlsc scan`` and ``mlsc audit`` output: a table, JSON, or SARIF 2.1.0 for
    code-scanning dashboards."""

    table = "table"
    json = "json"
    sarif = "sarif"


class Backend(enum.StrEnum):
    ladybug = "ladybug"
    neo4j = "neo4j"


out = Output()
"""The one output object of the CLI."""


class Command(TyperCommand):
    """A command whose usage line names its arguments as click does (``MODEL``,
    ``[REPOS]...``), not as ``{model}``, and whose values are converted without pydantic
    (``mlsc.cli.coercion``); every command is declared with ``cls=Command``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return coerced(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = (param.name or "").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(f"{name}..." if param.nargs != 1 else name)
        return pieces


class Group(TyperGroup):
    """A command group whose options (``-h`` included) are converted without pydantic."""

    def get_params(self, ctx: Any) -> list[Any]:
        return coerced(super().get_params(ctx))


@dataclass
class Globals:
    """Store and format options as given on the command line.

    Before the subcommand (``mlsc --db X lineage M``) the root callback records them in
    ``GLOBAL``, after it (``mlsc lineage M --db X``) ``uses_store`` records them in ``CHOSEN``,
    on every run. An option given after the subcommand wins over its global twin, which wins
    over the environment (read by the store when both are unset).
    """

    db: Path | None = None
    backend: str | None = None
    fmt: str | None = None
    neo4j: dict[str, str | None] = field(default_factory=dict)


GLOBAL = Globals()
"""What the root callback read; the per-command options fall back to it."""
CHOSEN = Globals()
"""What the running command was given after its name (``uses_store``)."""


@dataclass
class Run:
    """How this run used stores, for the script's exit (``mlsc.cli.app.main``)."""

    read: bool = False
    """A store was opened read-only."""
    wrote: bool = False
    """A store was opened for writing (whether or not anything was written)."""

    @property
    def read_only(self) -> bool:
        """It read a store and never opened one for writing."""
        return self.read and not self.wrote


RUN = Run()
"""This run's use of stores; the root callback starts it afresh."""

_AFTER = "Also accepted before the command."
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help=f"Knowledge base directory of the embedded store. {_AFTER} "
        "[default: $MLSC_DB, else the user data dir]",
        show_default=False,
    ),
]
BackendOption = Annotated[
    Backend | None,
    typer.Option(
        "--backend",
        help=f"The store: ladybug (embedded) or neo4j. {_AFTER} "
        "[default: $MLSC_BACKEND, else ladybug]",
        show_default=False,
    ),
]
Neo4jUriOption = Annotated[
    str | None,
    typer.Option(
        "--neo4j-uri",
        help=f"Neo4j: neo4j://, neo4j+s:// (Aura) or bolt://. {_AFTER} [default: $NEO4J_URI]",
        show_default=False,
    ),
]
Neo4jDatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--neo4j-database",
        help=f"The Neo4j database. {_AFTER} [default: $NEO4J_DATABASE, else the server's]",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help=f"table for people, json for scripts. {_AFTER} [default: table]",
        show_default=False,
    ),
]
ScanFormatOption = Annotated[
    ScanFormat | None,
    typer.Option(
        "--format",
        "-f",
        help=f"table for people, json for scripts, sarif (2.1.0). {_AFTER} [default: table]",
        show_default=False,
    ),
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a standalone, offline HTML page to this file."),
]
ErrorsOption = Annotated[
    Path | None, typer.Option("--errors", help="Write every problem as JSON Lines here.")
]


_STORE_OPTIONS: dict[str, Any] = {
    "db": DbOption,
    "backend": BackendOption,
    "neo4j_uri": Neo4jUriOption,
    "neo4j_database": Neo4jDatabaseOption,
}
_FORMAT_OPTIONS: dict[type[enum.StrEnum], Any] = {
    Format: FormatOption,
    ScanFormat: ScanFormatOption,
}


def uses_store(
    *, fmt: type[enum.StrEnum] | None = Format, backend: bool = True
) -> Callable[[C], C]:
    """Give a command the store options (``--db``, ``--backend`` unless ``backend=False``,
    ``--neo4j-uri``, ``--neo4j-database``) and ``--format`` with the choices of ``fmt``
    (none when None), after its own. What they are given is recorded in ``CHOSEN`` before the
    command runs; ``connect``, ``emit`` and ``output_format`` read it."""
    options = {name: kind for name, kind in _STORE_OPTIONS.items() if backend or name != "backend"}
    if fmt is not None:
        options["fmt"] = _FORMAT_OPTIONS[fmt]

    def decorate(command: C) -> C:
        signature = inspect.signature(command, eval_str=True)
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
            for name, kind in options.items()
        ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name, None) for name in options}
            CHOSEN.db = given["db"]
            CHOSEN.backend = given.get("backend")
            CHOSEN.fmt = given.get("fmt")
            CHOSEN.neo4j = {"uri": given["neo4j_uri"], "database": given["neo4j_database"]}
            return command(*args, **kwargs)

        parameters = [*signature.parameters.values(), *extra]
        setattr(run, "__signature__", signature.replace(parameters=parameters))  # noqa: B010
        return run  # type: ignore[return-value]

    return decorate


@contextmanager
def connect(*, read_only: bool, backend: str | None = None) -> Iterator[GraphStore]:
    """The knowledge base the options name: each option given after the command, else the
    same option given before it, else the environment; ``backend`` overrides them all (for
    ``copy``). When the default store (no --db, no MLSC_DB) is empty and `make demo` built
    one, the error names the demo's."""
    from mlsc.errors import EmptyStoreError
    from mlsc.graph import default_db_path, demo_db_path, open_store

    if read_only:
        RUN.read = True
    else:
        RUN.wrote = True
    neo4j = CHOSEN.neo4j
    path, chosen, neo4j = connection(
        CHOSEN.db, backend or CHOSEN.backend, neo4j.get("uri"), neo4j.get("database")
    )
    try:
        with open_store(path, backend=chosen, read_only=read_only, neo4j=neo4j) as store:
            yield store
    except EmptyStoreError as exc:
        demo = demo_db_path() if path is None and exc.location == str(default_db_path()) else None
        if demo is None or exc.demo:
            raise
        raise EmptyStoreError(exc.location, demo=str(demo)) from None


def embedded_store() -> Path | None:
    """The directory of the embedded store the options name (as :func:`connect` would open
    it), or None when they name Neo4j."""
    from mlsc.graph import embedded_dir

    path, backend, _ = connection(CHOSEN.db, CHOSEN.backend, None, None)
    return embedded_dir(path, backend=backend)


def connection(
    db: Path | None, backend: str | None, neo4j_uri: str | None, neo4j_database: str | None
) -> tuple[Path | None, str | None, dict[str, str | None]]:
    """The store options in force: each given after the command, else before it (``None``
    leaves it to the environment, read by ``open_store``)."""
    neo4j = dict(GLOBAL.neo4j)
    if neo4j_uri is not None:
        neo4j["uri"] = neo4j_uri
    if neo4j_database is not None:
        neo4j["database"] = neo4j_database
    path = db if db is not None else GLOBAL.db
    return path, backend if backend is not None else GLOBAL.backend, neo4j


def output_format(kind: type[F]) -> F:
    """The format asked for after the command, else before it (``mlsc -f json ...``), else
    ``table``."""
    chosen = CHOSEN.fmt if CHOSEN.fmt is not None else GLOBAL.fmt
    return kind(chosen) if chosen is not None else kind("table")


def to_json(value: Any) -> Any:
    """A result's JSON: its ``to_json()``, each item's for a list, else the value itself."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


def emit(
    result: Any,
    summary: Callable[..., Iterable[Block]],
    *context: Any,
    as_json: Callable[[Any], Any] = to_json,
) -> None:
    """Write a command's RESULT: its JSON for ``--format json``, else what
    ``summary(result, *context)`` makes of it for people."""
    if output_format(Format) == Format.json:
        out.json(as_json(result))
    else:
        show(summary(result, *context))


def show(blocks: Iterable[Block]) -> None:
    """Tables and lines to stdout, notes and warnings to stderr, in order."""
    from mlsc.render.text import Line, Note, Table, Warn

    for block in blocks:
        if isinstance(block, Table) and not block.rows:
            out.line(f"no results: {block.empty or block.title or 'nothing to show'}")
        elif isinstance(block, Table):
            out.table(block.title, block.columns, block.rows)
        elif isinstance(block, Note):
            out.info(block.text)
        elif isinstance(block, Warn):
            out.warn(block.text)
        elif isinstance(block, Line):
            out.line(block.text)


def write_page(path: Path, page: str) -> None:
    """Write a page or document the user asked for, and say so on stderr."""
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise MlscError(f"cannot write {path}: {exc.strerror}") from exc
    out.info(f"wrote {path}")


def write_problems(path: Path, problems: Iterable[Any]) -> None:
    """Every problem of a run as JSON Lines (``--errors FILE``)."""
    import orjson

    try:
        with path.open("wb") as fh:
            for problem in problems:
                fh.write(orjson.dumps(problem.to_json()) + b"\n")
    except OSError as exc:
        raise MlscError(f"cannot write {path}: {exc.strerror}") from exc
