"""How ``mlsc scan`` shows a scan: a table with the rule and a check per finding, JSON, or
SARIF; the hub's own verdicts and hashes beside mlsc's; who inherits a flagged model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsc.cli.output import Output

if TYPE_CHECKING:
    from mlsc.queries.scans import ScanContext
    from mlsc.scan import ScanReport

MAX_CHECKS = 10
"""Critical findings shown with their check on a terminal (JSON and SARIF have them all)."""


def show_scan(
    out: Output,
    report: ScanReport,
    context: ScanContext | None,
    downstream: dict[str, Any],
    fmt: str,
) -> str:
    """Write the scan to stdout in ``fmt``; return the status it ends with: the worst of
    mlsc's verdicts and the hub's (a peer's verdict is never reported lower)."""
    from mlsc.queries.scans import disagreements
    from mlsc.scan.findings import worst_status

    differ = (
        disagreements(context, {f.path: (f.sha256, f.status) for f in report.files})
        if context
        else ()
    )
    status = worst_status((report.status, *(d.status for d in differ)))
    if fmt == "sarif":
        from mlsc.render.sarif import render_sarif

        out.json(render_sarif(report))
        return status
    data = {
        "root": report.root,
        "status": status,
        "mlsc_status": report.status,
        "counts": report.counts(),
        "signature": None if report.signature is None else report.signature.short(),
        "files": [
            {"path": f.path, "format": f.format, "pickle": f.pickle, "status": f.status,
             "sha256": f.sha256, "findings": [x.to_json() for x in f.findings],
             "imports": list(f.imports)}
            for f in report.files
        ],
        "disagreements": [d.to_json() for d in differ],
        "downstream": downstream or None,
    }  # fmt: skip
    if fmt == "json":
        out.json(data)
        return status
    out.table(
        f"scan of {report.target}: {status}",
        ("status", "path", "format", "rule", "finding"),
        [
            (f.status, f.path, f.format, top.rule.id if top else None, top.short() if top else "")
            for f in report.files
            for top in (f.findings[0] if f.findings else None,)
        ],
    )
    serious = [x for x in report.findings if x.severity == "critical"]
    for x in serious[:MAX_CHECKS]:
        where = f" at byte {x.offset}" if x.offset is not None else ""
        out.line(f"{x.rule.id} {x.path}{where}: check by hand with  {x.how_to_check()}")
    if len(serious) > MAX_CHECKS:
        out.line(f"… {len(serious) - MAX_CHECKS} more critical findings (-f json lists all)")
    for d in differ:
        out.line(f"{d.kind}: {d.path}: {d.detail}")
    if report.signature is not None:
        out.line(f"model signature: {report.signature.short()}")
    if downstream:
        model = downstream["model"]
        out.line(
            f"{len(downstream['inherit']):,} downstream models inherit {model} "
            f"({downstream['downloads']:,} downloads): "
            + ", ".join(downstream["inherit"][:10])
            + f"; the whole list: mlsc blast-radius {model}"
        )
    return status
