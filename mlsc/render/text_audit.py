"""How ``mlsc audit`` shows an audit on a terminal: one row per finding, most severe first,
the summary line, the pins ``--fix-pins`` proposes, and the files that were skipped (stderr).

    for block in audit_summary(result):
        ...  # Table and Line to stdout, Note and Warn to stderr
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlsc.render.text import Block, Line, Note, Table, Warn, count

if TYPE_CHECKING:
    from mlsc.queries.audit import AuditResult

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def summary_line(result: AuditResult) -> str:
    """``N references in M files: X unpinned; critical a, high b, medium c, low d``."""
    counts = ", ".join(f"{s} {n}" for s, n in result.by_severity.items())
    return (
        f"{count(len(result.references), 'reference')} in {count(result.files, 'file')}: "
        f"{result.unpinned} unpinned; {counts}"
    )


def audit_summary(result: AuditResult) -> Iterator[Block]:
    """The findings table (a reference without findings gets a row saying so), the summary
    line, the proposed pins, then skipped files and an empty knowledge base on stderr."""
    rows = []
    for ref in result.references:
        r = ref.reference
        where = f"{r.file}:{r.line}"
        shown = r.revision[:12] if r.pinned and r.revision else (r.revision or "-")
        model = r.model or "(dynamic)"
        if not ref.findings:
            rows.append((9, where, "ok", "", model, shown, "known" if ref.known else "", ""))
        for f in ref.findings:
            rows.append((SEVERITY_ORDER[f.severity], where, f.severity, f.kind, model, shown,
                         f.via or "", f.detail))  # fmt: skip
    rows.sort(key=lambda row: row[0])  # stable: file and line order within a severity
    yield Table(
        f"audit of {result.path}",
        ("where", "severity", "finding", "model", "revision", "via", "detail"),
        [row[1:] for row in rows],
    )
    yield Line(summary_line(result))
    for pin in result.fix_pins or ():
        target = pin.model or "(dynamic)"
        if pin.revision:
            when = f"  # {pin.at}" if pin.at else (f"  # {pin.note}" if pin.note else "")
            yield Line(f"{pin.file}:{pin.line} {target} -> revision {pin.revision}{when}")
        else:
            yield Line(f"{pin.file}:{pin.line} {target}: no revision to pin to ({pin.note})")
    if result.empty:
        yield Warn(
            "the knowledge base is empty, so every model is unknown: `mlsc audit --refresh` "
            "crawls the referenced models, or `mlsc ingest hf -m ID --ancestors`"
        )
    for s in result.skipped:
        yield Note(f"skipped {s.file}: {s.reason}")
    yield Note(f"read {count(result.files_read, 'file')}, skipped {len(result.skipped)}")
