"""``mlsc export``: the knowledge base written out for other tools.

$ mlsc export cyclonedx org/model -o model.cdx.json
$ mlsc export neo4j-admin ./import
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlsc.cli.options import (
    Command,
    Group,
    connect,
    emit,
    out,
    uses_store,
    write_page,
)
from mlsc.render import text_reports

app = typer.Typer(help="Write the knowledge base out for other tools.", cls=Group)


@app.command(
    "cyclonedx", cls=Command, short_help="A CycloneDX 1.6 ML-BOM of a model and its lineage."
)
@uses_store(fmt=None)
def export_cyclonedx_cmd(
    model: Annotated[str, typer.Argument(help="A model id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """A CycloneDX 1.6 ML-BOM of MODEL: card fields, file hashes, licences, datasets, and
    its whole lineage as pedigree ancestors (relation kept as a property)."""
    from mlsc.queries.bom import ml_bom_facts
    from mlsc.render.cyclonedx import ml_bom_json

    with connect(read_only=True) as store:
        facts = ml_bom_facts(store, model)
    document = ml_bom_json(facts)
    if output is None:
        out.line(document)
    else:
        write_page(output, document)


@app.command(
    "neo4j-admin", cls=Command, short_help="CSV files for a first load of Neo4j by neo4j-admin."
)
@uses_store()
def export_neo4j_admin_cmd(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory for the CSV files.")],
    database: Annotated[str, typer.Option(help="Database name in the import command.")] = "neo4j",
) -> None:
    """CSV files for `neo4j-admin database import full`: a hub-scale initial load of Neo4j."""
    from mlsc.graph.transfer import export_neo4j_admin

    with connect(read_only=True) as store:
        report = export_neo4j_admin(store, directory, database=database)
    for problem in report.problems:
        out.warn(problem)
    emit(report, text_reports.neo4j_admin_summary)
