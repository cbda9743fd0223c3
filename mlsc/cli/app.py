"""The `mlsc` command line: the root app, one command group per module, one error boundary.

    $ mlsc blast-radius openai/whisper-large-v3 --format json | jq .count

Commands parse, call the library, and emit (``mlsc.cli.options``): data to stdout (a table,
or JSON with ``--format json``), progress, warnings and errors to stderr. A library error
(``MlscError``) becomes its message and hint on stderr and exit code 1, once, here, for
every command; ``MLSC_DEBUG=1`` prints the traceback too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mlsc.cli.commands import LazyGroup
from mlsc.cli.options import CHOSEN, GLOBAL, RUN, Backend, Format, out
from mlsc.errors import MlscError


@contextmanager
def error_boundary() -> Iterator[None]:
    """Library errors become a message (and hint) on stderr and exit 1; with ``MLSC_DEBUG=1``
    (any value but empty or 0) the traceback is shown above the message."""
    try:
        yield
    except MlscError as exc:
        if os.environ.get("MLSC_DEBUG", "") not in ("", "0"):
            import traceback

            out.info(traceback.format_exc().rstrip())
        out.error(exc.message)
        if exc.hint:
            out.info(exc.hint)
        raise typer.Exit(1) from None


class _Root(LazyGroup):
    """The root command: its commands are imported when they run (``mlsc.cli.commands``), and
    every command runs inside the error boundary, whether it was started by the `mlsc`
    script (``main``), ``python -m mlsc``, or a test's CliRunner."""

    def invoke(self, ctx: Any) -> Any:
        with error_boundary():
            return super().invoke(ctx)


app = typer.Typer(
    name="mlsc",
    cls=_Root,
    help="A knowledge base of the machine-learning supply chain: lineage, blast radius, reach.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    """``--version``: this package's version, then Python's and the store libraries'."""
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def of(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "not installed"

    line = (
        f"mlsc {of('mlsc')} (Python {platform.python_version()}, "
        f"ladybug {of('ladybug')}, neo4j driver {of('neo4j')})"
    )
    sys.stdout.write(line + "\n")  # one plain line: no terminal renderer to load for it
    raise typer.Exit()


@app.callback()
def _globals(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="MLSC_DB",
            help="Knowledge base directory of the embedded store. [default: the user data dir]",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        Backend | None,
        typer.Option(
            "--backend",
            envvar="MLSC_BACKEND",
            help="The store: ladybug (embedded) or neo4j. [default: ladybug]",
            show_default=False,
        ),
    ] = None,
    neo4j_uri: Annotated[
        str | None,
        typer.Option(envvar="NEO4J_URI", help="Neo4j: neo4j://, neo4j+s:// (Aura) or bolt://."),
    ] = None,
    neo4j_user: Annotated[
        str | None, typer.Option(envvar="NEO4J_USERNAME", help="Neo4j user. [default: neo4j]")
    ] = None,
    neo4j_database: Annotated[
        str | None,
        typer.Option(envvar="NEO4J_DATABASE", help="The Neo4j database. [default: the server's]"),
    ] = None,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="table for people, json for scripts. [default: table]",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the versions and exit."
        ),
    ] = False,
) -> None:
    """A knowledge base of the machine-learning supply chain: lineage, blast radius, reach.

    The options above also work after the command (`mlsc lineage M --db X`), where they win.
    The Neo4j password is read from NEO4J_PASSWORD only, never from the command line.
    """
    GLOBAL.db, GLOBAL.backend, GLOBAL.fmt = db, backend, fmt
    GLOBAL.neo4j = {"uri": neo4j_uri, "user": neo4j_user, "database": neo4j_database}
    CHOSEN.db = CHOSEN.backend = CHOSEN.fmt = None
    CHOSEN.neo4j = {}
    RUN.read = RUN.wrote = False


def main() -> None:
    """Entry point of the `mlsc` script. A run that succeeded having only read a store ends
    at once (``os._exit``) once its output is flushed: unloading numpy, pyarrow and the
    store library and collecting what the answer built costs a query process about 70 ms and
    does nothing a reader needs. A run that opened a store for writing, or failed, ends as
    usual.

    numpy's OpenBLAS starts a thread per core when numpy is imported (about 25 ms of CPU in
    a query process); mlsc does no linear algebra, so it asks for one unless the user set
    ``OPENBLAS_NUM_THREADS`` themselves."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app()
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(130)
    except SystemExit as exc:
        if exc.code in (None, 0) and RUN.read_only:
            _end_now()
        raise
    if RUN.read_only:
        _end_now()


def _end_now() -> None:
    """Flush what was written and end the process without its teardown (exit status 0, or
    120 as Python's own exit when stdout cannot be flushed, e.g. a closed pipe)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        os._exit(120)
    os._exit(0)
