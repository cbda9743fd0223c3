"""What every command group shares: the options, declared once, the store they open, and
where results go.

    @group.command()
    def stats(db: DbOption = None, backend: BackendOption = None,
              fmt: FormatOption = Format.table) -> None:
        with connect(db, backend, read_only=True) as store:
            counts = store.counts()
        emit(fmt, counts, text.counts_table, store.location)

Data goes to stdout (a table, or JSON with ``--format json``); progress, warnings and errors
go to stderr, so ``mlsc blast-radius X --format json | jq`` always gets clean JSON.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlsc.cli.output import Output
from mlsc.errors import MlscError

if TYPE_CHECKING:
    from mlsc.graph.store import GraphStore
    from mlsc.render.text import Block


class Format(enum.StrEnum):
    table = "table"
    json = "json"


class ScanFormat(enum.StrEnum):
    """``mlsc scan`` output: a table, JSON, or SARIF 2.1.0 for code-scanning dashboards."""

    table = "table"
    json = "json"
    sarif = "sarif"


out = Output()
"""The one output object of the CLI."""

NEO4J: dict[str, str | None] = {}
"""The Neo4j connection the root callback read from the global options (uri, user, database)."""

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="MLSC_DB",
        help="Knowledge base directory of the embedded store [default: the user data dir].",
        show_default=False,
    ),
]
BackendOption = Annotated[
    str | None,
    typer.Option("--backend", envvar="MLSC_BACKEND", help="ladybug (embedded, default) or neo4j."),
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
ScanFormatOption = Annotated[
    ScanFormat,
    typer.Option("--format", "-f", help="table for people, json for scripts, sarif (2.1.0)."),
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a standalone, offline HTML page to this file."),
]
ErrorsOption = Annotated[
    Path | None, typer.Option("--errors", help="Write every problem as JSON Lines here.")
]


@contextmanager
def connect(db: Path | None, backend: str | None, *, read_only: bool) -> Iterator[GraphStore]:
    """The knowledge base the options name (Neo4j settings from the global options). When
    the default store (no --db, no MLSC_DB) is empty and `make demo` built one, the error
    names the demo's."""
    from mlsc.errors import EmptyStoreError
    from mlsc.graph import default_db_path, demo_db_path, open_store

    try:
        with open_store(db, backend=backend, read_only=read_only, neo4j=NEO4J) as store:
            yield store
    except EmptyStoreError as exc:
        demo = demo_db_path() if db is None and exc.location == str(default_db_path()) else None
        if demo is None or exc.demo:
            raise
        raise EmptyStoreError(exc.location, demo=str(demo)) from None


def to_json(value: Any) -> Any:
    """A result's JSON: its ``to_json()``, each item's for a list, else the value itself."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value


def emit(
    fmt: str,
    result: Any,
    summary: Callable[..., Iterable[Block]],
    *context: Any,
    as_json: Callable[[Any], Any] = to_json,
) -> None:
    """Write a command's RESULT: its JSON for ``--format json``, else what
    ``summary(result, *context)`` makes of it for people."""
    if fmt == Format.json:
        out.json(as_json(result))
    else:
        show(summary(result, *context))


def show(blocks: Iterable[Block]) -> None:
    """Tables and lines to stdout, notes and warnings to stderr, in order."""
    from mlsc.render.text import Line, Note, Table, Warn

    for block in blocks:
        if isinstance(block, Table):
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
