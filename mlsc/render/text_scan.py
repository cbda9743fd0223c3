"""How ``mlsc scan`` shows a scan: a table with the rule and a check per finding, or JSON; the
hub's own verdicts and hashes beside mlsc's; who inherits a flagged model.

    view = ScanView(report, status="critical", disagreements=(), downstream={})
    view.to_json()          # what ``-f json`` prints
    list(scan_summary(view))  # what a terminal shows
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlsc.render.text import Block, Line, Table

if TYPE_CHECKING:
    from mlsc.queries.scans import Disagreement
    from mlsc.scan import ScanReport

MAX_CHECKS = 10
"""Critical findings shown with their check on a terminal (JSON and SARIF have them all)."""


@dataclass(frozen=True)
class ScanView:
    """A scan with what the CLI learnt around it."""

    report: ScanReport
    status: str
    """The worst of mlsc's verdicts and the hub's (a peer's verdict is never reported lower)."""
    disagreements: Sequence[Disagreement] = ()
    """Where the knowledge base's record of the model differs from the scan."""
    downstream: Mapping[str, Any] = field(default_factory=dict)
    """For a critical model: ``model``, the ids that ``inherit`` it, their ``downloads``."""
    mlsc_status: str | None = None
    """mlsc's own verdict, before other sources' (``report`` carries theirs as findings)."""

    def to_json(self) -> dict[str, Any]:
        report = self.report
        return {
            "root": report.root,
            "status": self.status,
            "mlsc_status": self.mlsc_status or report.status,
            "counts": report.counts(),
            "signature": None if report.signature is None else report.signature.short(),
            "files": [
                {"path": f.path, "format": f.format, "pickle": f.pickle, "status": f.status,
                 "sha256": f.sha256, "findings": [x.to_json() for x in f.findings],
                 "imports": list(f.imports)}
                for f in report.files
            ],
            "disagreements": [d.to_json() for d in self.disagreements],
            "downstream": dict(self.downstream) or None,
        }  # fmt: skip


def scan_summary(view: ScanView) -> Iterator[Block]:
    """A row per file with its first finding; how to check the critical ones by hand;
    disagreements with the hub; the signature; who inherits a critical model."""
    report = view.report
    yield Table(
        f"scan of {report.target}: {view.status}",
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
        yield Line(f"{x.rule.id} {x.path}{where}: check by hand with  {x.how_to_check()}")
    if len(serious) > MAX_CHECKS:
        yield Line(f"… {len(serious) - MAX_CHECKS} more critical findings (-f json lists all)")
    for d in view.disagreements:
        yield Line(f"{d.kind}: {d.path}: {d.detail}")
    if report.signature is not None:
        yield Line(f"model signature: {report.signature.short()}")
    downstream = view.downstream
    if downstream:
        model = downstream["model"]
        yield Line(
            f"{len(downstream['inherit']):,} downstream models inherit {model} "
            f"({downstream['downloads']:,} downloads): "
            + ", ".join(downstream["inherit"][:10])
            + f"; the whole list: mlsc blast-radius {model}"
        )
