"""``mlsc audit``: the npm-audit of models, for a checkout or a CI job.

$ mlsc audit ./my-app --fail-on high -f sarif > audit.sarif
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlsc.cli.options import (
    Command,
    ScanFormat,
    connect,
    emit,
    out,
    output_format,
    uses_store,
)
from mlsc.errors import EmptyStoreError, MlscError

if TYPE_CHECKING:
    from mlsc.code.references import CodeReading
    from mlsc.graph.store import GraphStore

app = typer.Typer()
"""The audit command at the root."""

FAIL_ON = ("critical", "high", "medium", "low", "none")
REFRESH_RETRIES = 1
"""Retries per request of the ``--refresh`` crawl (``mlsc ingest hf`` retries 5 times)."""
MAX_PROBLEMS = 20
"""Crawl problems shown on stderr with ``--refresh`` (the counts cover them all)."""


def _refresh(store: GraphStore, reading: CodeReading, endpoint: str | None) -> dict[str, Any]:
    """Crawl the referenced models and their ancestors into ``store``; problems and an
    unreachable Hub are said on stderr and the audit goes on with what is held."""
    from mlsc.ingest.hub.client import HubUnreachable
    from mlsc.ingest.hub.crawl import crawl_hub
    from mlsc.ingest.hub.options import CrawlOptions
    from mlsc.vocab import is_valid_repo_id

    ids = sorted({r.model for r in reading.references if r.model and r.hub == "huggingface"
                  and is_valid_repo_id(r.model)})  # fmt: skip
    if not ids:
        out.info("--refresh: no Hugging Face model ids in the code to crawl")
        return {"refresh": {"models": 0, "reachable": None}}
    # best effort before an audit: a Hub that is down is said after one retry, not five
    options = CrawlOptions(
        models=tuple(ids), ancestors=True, endpoint=endpoint, retries=REFRESH_RETRIES
    )
    try:
        with out.counter("models", "models") as bar:
            report = crawl_hub(store, options, progress=bar)
    except HubUnreachable as exc:
        out.warn(f"--refresh: {exc.message}; auditing on what the knowledge base holds")
        return {"refresh": {"models": 0, "reachable": False, "error": exc.message}}
    for problem in report.problems[:MAX_PROBLEMS]:
        out.warn(f"--refresh: {problem.record}: {problem.reason}: {problem.detail}")
    if len(report.problems) > MAX_PROBLEMS:
        out.info(f"--refresh: {len(report.problems) - MAX_PROBLEMS} more problems")
    out.info(
        f"--refresh: crawled {report.models} models from {report.endpoint} "
        f"({len(ids)} referenced, with their ancestors); {sum(report.skipped.values())} skipped"
    )
    return {
        "refresh": {
            "models": report.models,
            "reachable": True,
            "skipped": sum(report.skipped.values()),
            "problems": [p.to_json() for p in report.problems],
        }
    }


@app.command("audit", cls=Command)
@uses_store(fmt=ScanFormat)
def audit_cmd(
    path: Annotated[Path, typer.Argument(help="An application's directory (or one file).")],
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 3 when a finding is this severe or worse: critical, high, medium (the "
            "default: an unpinned or unknown model fails), low, or none (always 0)."
        ),
    ] = "medium",
    fix_pins: Annotated[
        bool,
        typer.Option(
            "--fix-pins",
            help="Print (never apply) the commit each unpinned reference would pin to: the "
            "newest the knowledge base holds for the model.",
        ),
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="First crawl the referenced models and their ancestors from the Hub (goes on "
            "with what is held when the Hub cannot be reached).",
        ),
    ] = False,
    endpoint: Annotated[
        str | None,
        typer.Option(
            envvar="HF_ENDPOINT", help="The Hub's URL, for --refresh.", show_default=False
        ),
    ] = None,
) -> None:
    """Every place the code loads a model from a hub, its pinning, and what the knowledge base holds against the model and its ancestors.

    Findings, most severe first: scan verdicts on the model or an ancestor (critical, high), removed or renamed models (high), unpinned references, unknown models, discrepancies, licence conflicts (medium), dynamic ids, gating, unverified owners, unsigned commits (low). Reads the code without importing or running it; needs no network unless --refresh.

    Exit status: 0 when no finding reaches --fail-on, 3 when one does, 1 on an error.
    """
    fmt = output_format(ScanFormat)
    if fail_on not in FAIL_ON:
        raise MlscError(f"--fail-on {fail_on!r}: use {', '.join(FAIL_ON)}")
    if not path.exists():
        raise MlscError(f"{path} does not exist", hint="Give an application's directory.")
    from mlsc.code import read_references
    from mlsc.queries.audit import audit
    from mlsc.render.text_audit import audit_summary

    reading = read_references(path)
    extra: dict[str, Any] = {}
    if refresh:
        with connect(read_only=False) as store:
            extra = _refresh(store, reading, endpoint)
    try:
        with connect(read_only=True) as store:
            result = audit(store, reading, path=str(path), fix_pins=fix_pins)
    except EmptyStoreError:  # no knowledge base yet: every model is unknown
        result = audit(None, reading, path=str(path), fix_pins=fix_pins)
    result.extra.update(extra)
    if fmt is ScanFormat.sarif:
        from mlsc.render.sarif_audit import render_audit_sarif

        out.json(render_audit_sarif(result))
        if result.empty:
            out.warn("the knowledge base is empty, so every model is unknown")
    else:
        emit(result, audit_summary)
        if fmt is ScanFormat.json and result.empty:
            out.warn("the knowledge base is empty, so every model is unknown")
    if result.fails(fail_on):
        raise typer.Exit(3)
