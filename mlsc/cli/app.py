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
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from mlsc.cli import audit, export, ingest, query, report, scan
from mlsc.cli.options import NEO4J, out
from mlsc.errors import MlscError


@contextmanager
def error_boundary() -> Iterator[None]:
    """Library errors become a message (and hint) on stderr and exit 1; with ``MLSC_DEBUG=1``
    (any value but empty or 0) the traceback is shown above the message."""
    try:
        yield
    except MlscError as exc:
        if os.environ.get("MLSC_DEBUG", "") not in ("", "0"):
            out.info(traceback.format_exc().rstrip())
        out.error(exc.message)
        if exc.hint:
            out.info(exc.hint)
        raise typer.Exit(1) from None


class _Root(TyperGroup):
    """The root command: every command runs inside the error boundary, whether it was
    started by the `mlsc` script (``main``), ``python -m mlsc``, or a test's CliRunner."""

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
)
app.add_typer(query.app)  # lineage, blast-radius, reach, stats, cypher, copy
app.add_typer(scan.app)  # scan
app.add_typer(audit.app)  # audit
app.add_typer(ingest.app, name="ingest")
app.add_typer(query.top_app, name="top")
app.add_typer(export.app, name="export")
app.add_typer(report.app, name="report")


@app.callback()
def _connection(
    neo4j_uri: Annotated[
        str | None,
        typer.Option(envvar="NEO4J_URI", help="Neo4j: neo4j://, neo4j+s:// (Aura) or bolt://"),
    ] = None,
    neo4j_user: Annotated[str | None, typer.Option(envvar="NEO4J_USERNAME")] = None,
    neo4j_database: Annotated[str | None, typer.Option(envvar="NEO4J_DATABASE")] = None,
) -> None:
    """A knowledge base of the machine-learning supply chain. The Neo4j password is read
    from NEO4J_PASSWORD only, never from the command line."""
    NEO4J.update(uri=neo4j_uri, user=neo4j_user, database=neo4j_database)


def main() -> None:
    """Entry point of the `mlsc` script."""
    try:
        app()
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(130)
