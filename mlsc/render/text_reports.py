"""Terminal summaries of the security reports, of a copy between stores and of an export.

    for block in scorecard_summary(card, "org/model"):
        ...  # the CLI writes a Line or a Table to stdout, a Note or a Warn to stderr

Tables show the first rows (``--limit``); the JSON of the same report has them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlsc.render.text import Block, Line, Note, Table, Warn, count, fact_value, pct, score

if TYPE_CHECKING:
    from mlsc.graph.transfer import CopyReport, ExportReport
    from mlsc.queries.discrepancies import Discrepancies
    from mlsc.queries.practices import Practices
    from mlsc.queries.scorecard import Scorecard
    from mlsc.queries.signing import SigningReport


def signing_summary(report: SigningReport, limit: int) -> Iterator[Block]:
    """Commit signing per repository and per organisation, LIMIT rows each."""
    columns = ("id", "commits", "signed", "verified", "unknown", "first_signed")
    nothing = "no commits yet: `mlsc ingest git PATH`, `mlsc ingest github` or `mlsc ingest hf`"
    for title, rows in (
        ("repositories", report.repositories),
        ("organisations", report.organisations),
    ):
        yield Table(
            f"{title} ({len(rows):,}; first {min(limit, len(rows))} by commits)",
            columns,
            [
                (r.id, r.commits, r.signed, r.verified, r.unknown, r.first_signed)
                for r in rows[:limit]
            ],
            empty=f"{title}: {nothing}" if not report.repositories else f"no {title} with commits",
        )


def practices_summary(report: Practices, author: str | None) -> Iterator[Block]:
    """Each figure beside its published counterpart; how writers spread over models."""
    yield Table(
        f"practices over {report.models:,} ingested models" + (f" of {author}" if author else ""),
        ("label", "value", "numerator", "denominator", "published", "source"),
        [
            (f.label, pct(f.value), f.numerator, f.denominator, pct(f.published), f.source or "")
            for f in report.figures
        ],
    )  # fmt: skip
    pins = report.application_pinning
    if pins.references:
        yield Line(
            f"application references pinned to a commit: {pins.pinned:,} of {pins.known:,} "
            f"known ({pct(pins.share)}), {pins.unknown:,} unknown (e.g. PeaTMOSS links); "
            f"{count(pins.references, 'reference')} from {count(pins.applications, 'application')}"
        )
    for title, d in (
        ("accounts that can write, per model", report.writers_per_model),
        ("models each account can write", report.models_per_writer),
    ):
        yield Line(
            f"{title}: median {d.p50:g}, p90 {d.p90:g}, p99 {d.p99:g}, max {d.max:,} "
            f"(over {d.count:,}); most: " + ", ".join(f"{k} {v:,}" for k, v in d.top[:5])
        )


def discrepancies_summary(report: Discrepancies, limit: int) -> Iterator[Block]:
    """How many findings of each severity, and the first LIMIT, most severe first."""
    by_severity = ", ".join(f"{k} {v:,}" for k, v in report.by_severity.items()) or "none"
    yield Line(f"{len(report.findings):,} findings ({by_severity})")
    yield Table(
        f"findings (first {min(limit, len(report.findings))}, most severe first)",
        ("severity", "kind", "model", "detail"),
        [(f.severity, f.kind, f.model, f.detail) for f in report.findings[:limit]],
        empty="no discrepancy: what the models claim matches what the knowledge base holds",
    )


def scorecard_summary(card: Scorecard, model: str) -> Iterator[Block]:
    """The overall score, the 3x3 grid, every fact, and the weakest link upstream."""
    from mlsc.queries.scorecard import PRINCIPLES, SUBJECTS  # here: keeps `mlsc --help` instant

    yield Line(
        f"scorecard of {model}: overall {score(card.overall)} (unknown counts as 0); "
        f"{score(card.overall_known)} over the {card.known_cells} of 9 cells known"
    )
    yield Table(
        "scores (0 worst, 1 best; unknown: no known fact, counted as 0 in overall)",
        ("", *SUBJECTS),
        [(p, *(score(card.cell(p, s).score) for s in SUBJECTS)) for p in PRINCIPLES],
    )
    yield Table(
        "facts",
        ("principle", "subject", "fact", "value", "score"),
        [
            (c.principle, c.subject, f.name + (" (veto)" if f.veto else ""), fact_value(f.value),
             score(f.score))
            for c in card.cells
            for f in c.facts
        ],
    )  # fmt: skip
    weak = card.weakest_upstream
    if weak is None:
        yield Line(f"no scored ancestor ({card.ancestors_scored} ancestors)")
        return
    why = "a file a scanner rates critical; " if weak.critical else ""
    yield Line(
        f"weakest link upstream: {weak.model} (depth {weak.depth}), overall "
        f"{score(weak.overall)}, {weak.known_cells} of 9 cells known; {why}pulled down by: "
        + (
            ", ".join(f"{c.principle} of {c.subject} {score(c.score)}" for c in weak.pulled_down_by)
            or "nothing below 0.5"
        )
    )
    if weak.critical:
        yield Line(f"who else inherits it: mlsc blast-radius {weak.model}")


def copy_summary(report: CopyReport) -> Iterator[Block]:
    """Rows copied per kind beside both stores' counts; a warning when it merged."""
    rows = [
        (k, report.copied[k], report.source_counts[k], report.target_counts[k])
        for k in report.copied
    ]
    yield Table(f"copied in {report.seconds:.1f} s", ("kind", "copied", "source", "target"), rows)
    if not report.mirrored:
        yield Warn(
            "the target holds more than the source (it was not empty before): "
            "the copy merged into it"
        )


def neo4j_admin_summary(report: ExportReport) -> Iterator[Block]:
    """The files written and the import command to run in their directory."""
    yield Table(f"written to {report.directory}", ("file", "rows"), list(report.files.items()))
    yield Note("Import with the database stopped (run it in that directory):")
    yield Line(" ".join(report.command))
