"""``mlsc report``: security reports over the knowledge base.

$ mlsc report scorecard org/model --html scorecard.html
$ mlsc report signing --author org -f json
$ mlsc report signing --html signing.html
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlsc.cli.options import (
    Command,
    Group,
    HtmlOption,
    connect,
    emit,
    uses_store,
    write_page,
)
from mlsc.render import text_reports

app = typer.Typer(help="Security reports over the knowledge base.", cls=Group)


@app.command(
    "signing", cls=Command, short_help="Commit signing per repository and per organisation."
)
@uses_store()
def report_signing_cmd(
    author: Annotated[
        str | None, typer.Option("--author", help="Only this owner's repositories.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown per table (JSON has all).")] = 30,
    html: HtmlOption = None,
) -> None:
    """Commit signing per repository and per organisation: signed, verified, since when."""
    from mlsc.queries.signing import signing_report

    with connect(read_only=True) as store:
        report = signing_report(store, author=author)
    if html:
        from mlsc.render.reports_signing import render_signing

        write_page(html, render_signing(report, author=author, limit=limit))
    emit(report, text_reports.signing_summary, limit)


@app.command(
    "practices",
    cls=Command,
    short_help="Signing, gating, pickles and writer concentration.",
)
@uses_store()
def report_practices_cmd(
    author: Annotated[
        str | None, typer.Option("--author", help="Only this owner's models.")
    ] = None,
    html: HtmlOption = None,
) -> None:
    """Signing, verification, gating, pickles and writer concentration, beside published figures."""
    from mlsc.queries.practices import practices

    with connect(read_only=True) as store:
        report = practices(store, author=author)
    if html:
        from mlsc.render.reports import render_practices

        write_page(html, render_practices(report))
    emit(report, text_reports.practices_summary, author)


@app.command("discrepancies", cls=Command, short_help="What models claim against what they are.")
@uses_store()
def report_discrepancies_cmd(
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only findings about these.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown (JSON has all).")] = 50,
    html: HtmlOption = None,
) -> None:
    """What models claim against what they are: each finding with its evidence and severity."""
    from mlsc.queries.discrepancies import discrepancies

    with connect(read_only=True) as store:
        report = discrepancies(store, models=model or None)
    if html:
        from mlsc.render.reports_findings import render_discrepancies

        write_page(html, render_discrepancies(report, limit=max(limit, 500)))
    emit(report, text_reports.discrepancies_summary, limit)


@app.command(
    "scorecard",
    cls=Command,
    short_help="A model's transparency, validity and separation.",
)
@uses_store()
def report_scorecard_cmd(
    model: Annotated[str, typer.Argument(help="A model id.")],
    html: HtmlOption = None,
) -> None:
    """Transparency, Validity, Separation over artifacts, operations and actors; the weakest
    link upstream."""
    from mlsc.queries.scorecard import scorecard

    with connect(read_only=True) as store:
        card = scorecard(store, model)
    if html:
        from mlsc.render.reports import render_scorecard

        write_page(html, render_scorecard(card))
    emit(card, text_reports.scorecard_summary, model)
