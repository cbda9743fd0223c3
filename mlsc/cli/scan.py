"""``mlsc scan``: unsafe serialisation found without loading anything, recorded beside what
the hub said, with who inherits a flagged model.

    $ mlsc scan ./downloaded-model --model org/model --fail-on warning -f sarif
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from mlsc.errors import MlscError

app = typer.Typer()
"""The scan command at the root."""

FAIL_LEVELS = {"critical": 2, "warning": 1, "none": 99}
"""``--fail-on`` levels: the least file status rank that makes ``mlsc scan`` exit 3."""
STATUS_RANKS = {"clean": 0, "skipped": 0, "warning": 1, "unparseable": 1, "critical": 2}


@app.command("scan", cls=Command)
@uses_store(fmt=ScanFormat)
def scan_cmd(
    path: Annotated[Path, typer.Argument(help="A model file or a local model directory.")],
    model: Annotated[
        str | None,
        typer.Option(
            help="The model in the knowledge base this directory is a copy of: the scan is "
            "recorded beside what the hub said (never over it). It must exist."
        ),
    ] = None,
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", help="A trusted public key (PEM) for model signatures."),
    ] = None,
    cert_chain: Annotated[
        list[Path] | None,
        typer.Option("--cert-chain", help="Trusted CA certificates (PEM) for model signatures."),
    ] = None,
    store_results: Annotated[
        bool, typer.Option("--store/--no-store", help="Record the findings on File nodes.")
    ] = True,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 3 when a file is this bad or worse: critical (the default, as "
            "pip-audit and picklescan fail a CI job), warning (also unknown imports and "
            "unparseable files), or none (always exit 0 after a scan)."
        ),
    ] = "critical",
) -> None:
    """Unsafe serialisation found without loading anything, and who inherits a flagged model.

    Pickle imports and opcode tricks, archives read as loaders read them, Keras, TensorFlow, ONNX, GGUF and chat templates, safetensors headers, OpenSSF model signatures.

    Exit status: 0 when no file reaches --fail-on, 3 when one does (by default: anything critical), 1 on an error (a path that does not exist, an unknown --model).
    """
    fmt = output_format(ScanFormat)
    if fail_on not in FAIL_LEVELS:
        raise MlscError(f"--fail-on {fail_on!r}: use critical, warning or none")
    from mlsc.queries.scans import ScanContext, disagreements, scan_context
    from mlsc.render.text_scan import ScanView, scan_summary
    from mlsc.scan import record_scan, scan_path
    from mlsc.scan.findings import Finding
    from mlsc.scan.scanner import with_findings

    if not path.exists():
        raise MlscError(f"{path} does not exist")
    context: ScanContext | None = None
    if model is not None:  # an unknown model is an error before anything is scanned
        with connect(read_only=True) as store:
            context = scan_context(store, model)
    report = scan_path(
        path, public_keys=tuple(key or ()), certificate_chain=tuple(cert_chain or ())
    )
    differ = (
        disagreements(context, {f.path: (f.sha256, f.status) for f in report.files})
        if context
        else ()
    )
    # another source's verdict becomes a finding on the file: never reported lower, in every
    # format (SARIF included); the store keeps mlsc's own verdict beside the hub's
    shown = with_findings(
        report,
        (
            Finding(d.path, "peer_verdict" if d.kind == "hub-verdict" else "hash_mismatch",
                    d.status, d.detail, engine="hub")
            for d in differ
        ),
    )  # fmt: skip
    status = shown.status
    downstream: dict[str, Any] = {}
    if store_results:
        from mlsc.queries import blast_radius

        known = tuple(context.files) if context else ()
        with connect(read_only=False) as store:
            record_scan(store, report, model, known_files=known)
            if model and status == "critical" and report.is_dir:
                radius = blast_radius(store, model)
                downstream = {
                    "model": model,
                    "inherit": [a.id for a in radius.affected if a.depth > 0],
                    "downloads": radius.downloads,
                }
    if fmt is ScanFormat.sarif:
        from mlsc.render.sarif import render_sarif

        out.json(render_sarif(shown))
    else:
        emit(ScanView(shown, status, differ, downstream, report.status), scan_summary)
    if STATUS_RANKS.get(status, 0) >= FAIL_LEVELS[fail_on]:
        raise typer.Exit(3)
