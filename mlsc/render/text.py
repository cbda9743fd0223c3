"""Every terminal summary: values in, blocks of text and table rows out; the CLI writes them.

    for block in blast_radius_summary(result, "org/base", limit=50):
        ...  # a Line or a Table goes to stdout, a Note or a Warn to stderr

A summary never prints and never opens a store, so the same words appear whatever runs
it. The summaries of ingestion runs are in ``text_ingest``, of reports, copies and exports
in ``text_reports``, of a scan in ``text_scan``; this module holds the blocks, the cell
format, and the queries' summaries (lineage, blast radius, reach, top, stats, cypher).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsc.graph.store import CypherResult
    from mlsc.queries.results import BlastRadius, LineageResult, Ranked, Reach


@dataclass(frozen=True)
class Line:
    """A line of data for stdout, printed as it is (no markup)."""

    text: str


@dataclass(frozen=True)
class Note:
    """Status for stderr: a problem, a hint, what was written where."""

    text: str


@dataclass(frozen=True)
class Warn:
    """A warning for stderr (``warning: `` in front)."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table for stdout: raw values per row, formatted by :func:`cell`."""

    title: str | None
    """Shown above the table; None for none."""
    columns: Sequence[str]
    """Named as the keys of the same rows in ``--format json``."""
    rows: Sequence[Sequence[Any]]
    empty: str = ""
    """Why there are no rows, said instead of an empty table (``no results: ...``)."""


Block = Line | Note | Warn | Table
"""One piece of a summary."""

RIGHT_ALIGNED = frozenset(
    {"depth", "downloads", "reach", "direct", "count", "models", "transitive", "overlap", "total"}
)
"""Table columns that hold numbers and line up on the right."""


def cell(value: Any) -> str:
    """A table cell: ``-`` for nothing, yes/no, thousands separators, two decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def count(n: int, noun: str) -> str:
    """``1 ancestor``, ``1,234 ancestors``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def counts(values: Mapping[str, int]) -> str:
    """``a 1, b 2`` (sorted by key), or ``none``."""
    return ", ".join(f"{k} {v:,}" for k, v in sorted(values.items())) or "none"


def pct(value: float | None) -> str:
    """A share as ``12.34%``, or ``-`` when unknown."""
    return "-" if value is None else f"{value * 100:.2f}%"


def fact_value(value: object) -> str:
    """A scorecard fact's value in words: ``unknown``, yes/no, a list joined, and a flagged
    file as ``path (verdict: callables)`` rather than a Python dict."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(fact_value(v) for v in value) or "none"
    if isinstance(value, dict):
        if "file" in value:
            called = ", ".join(str(c) for c in value.get("callables") or [])
            verdict = str(value.get("verdict") or "flagged")
            return f"{value['file']} ({verdict}{': ' + called if called else ''})"
        return ", ".join(f"{k}={fact_value(v)}" for k, v in value.items())
    return str(value)


def score(value: float | None) -> str:
    """A score as ``0.50``, or ``unknown``."""
    return "unknown" if value is None else f"{value:.2f}"


# -- queries -----------------------------------------------------------------------------


def lineage_summary(result: LineageResult, model: str) -> Iterator[Block]:
    """Ancestors and descendants of MODEL, one table each; a warning per lineage cycle."""
    cols = ("depth", "id", "relation", "via", "owner", "downloads")
    for title, entries, why in (
        ("ancestors", result.ancestors, f"{model} derives from no model in the knowledge base"),
        (
            "descendants",
            result.descendants,
            f"no model derives from {model}: it has no descendants in the knowledge base",
        ),
    ):
        yield Table(
            f"{title} of {model}: {len(entries)}",
            cols,
            [(e.depth, e.id, e.relation, e.via, e.author, e.downloads) for e in entries],
            empty=why,
        )
    for cycle in result.cycles:
        yield Warn("lineage cycle: " + " -> ".join(cycle))


def blast_radius_summary(result: BlastRadius, target: str, limit: int) -> Iterator[Block]:
    """The totals, the commits, counts by depth and relation, the first LIMIT affected."""
    yield Line(
        f"blast radius of {result.kind} {target}: {result.count:,} models "
        f"({len(result.seeds):,} compromised directly), {result.downloads:,} downloads, "
        f"{len(result.owners):,} owners to notify"
    )
    if result.commits:
        shown = result.commits[:limit]
        yield Table(
            "commits"
            + (f" since {result.since}" if result.since and result.kind == "actor" else ""),
            ("sha", "repository", "at"),
            [(c.sha[:12], c.repository, c.at) for c in shown],
        )
    if result.repositories:
        yield Line("code repositories: " + ", ".join(result.repositories))
    yield Table("by depth", ("depth", "models"), [(d, n) for d, n in result.by_depth.items()])
    yield Table(
        "by relation",
        ("relation", "models"),
        list(result.by_relation.items()),
        empty=f"no model derives from {target} in the knowledge base",
    )
    rows = [(a.depth, a.id, a.relation, a.via, a.owner, a.downloads) for a in result.affected]
    yield Table(
        f"affected models (first {min(limit, len(rows))} of {len(rows):,} by depth, downloads)",
        ("depth", "id", "relation", "via", "owner", "downloads"),
        rows[:limit],
    )
    yield from applications_summary(result, limit)


def applications_summary(result: BlastRadius, limit: int) -> Iterator[Block]:
    """The applications loading an affected model, one row per model each loads; an
    explicit line when there are none."""
    apps = result.applications
    if not apps:
        yield Line("no application in the knowledge base loads an affected model")
        return
    yield Line(
        f"{len(apps):,} application{'s load' if len(apps) != 1 else ' loads'} an affected model, "
        f"{result.exposed:,} exposed"
        + (f" (pins dated against {result.since})" if result.since else "")
    )
    rows = [
        (a.id, a.exposed, m.id, m.depth, m.pinned, m.revision, m.status)
        for a in apps
        for m in a.models
    ]
    yield Table(
        f"applications (first {min(limit, len(rows))} of {len(rows):,} references, exposed first)",
        ("id", "exposed", "models", "depth", "pinned", "revision", "status"),
        rows[:limit],
    )
    for note in sorted({f"{m.id}: {m.note}" for a in apps for m in a.models if m.note}):
        yield Note(note)


def reach_summary(result: Reach, actor: str) -> Iterator[Block]:
    """Maintainer reach of ACTOR in one row, and the sum that makes its total."""
    yield Table(
        f"reach of {actor}",
        ("direct", "transitive", "overlap", "total", "organisations"),
        [
            (
                result.direct,
                result.transitive,
                result.overlap,
                result.total,
                ", ".join(result.organisations) or None,
            )
        ],
    )
    both = f" - {result.overlap:,} both" if result.overlap else ""
    yield Line(
        f"{result.direct:,} direct + {result.transitive:,} transitive{both} = {result.total:,}"
        + (f" ({result.overlap:,} owned and also downstream, counted once)" if both else "")
    )


def top_summary(rows: Sequence[Ranked], kind: str) -> Iterator[Block]:
    """The ranking of ``models`` or ``actors`` by reach."""
    direct = "children" if kind == "models" else "models controlled"
    yield Table(
        f"top {len(rows)} {kind} by reach (direct: {direct})",
        ("rank", "id", "reach", "direct"),
        [(i, r.id, r.reach, r.direct) for i, r in enumerate(rows, start=1)],
        empty=f"top {kind}: the knowledge base has no derivations"
        if kind == "models"
        else "top actors: no owner in the knowledge base reaches a model",
    )


def stats_summary(values: Mapping[str, int], location: str) -> Iterator[Block]:
    """Nodes and edges of each kind in the knowledge base at LOCATION."""
    yield Table(f"knowledge base at {location}", ("kind", "count"), list(values.items()))


def cypher_summary(result: CypherResult) -> Iterator[Block]:
    """The rows of a user's query under its own column names."""
    yield Table(None, result.columns, result.rows, empty="the query returned no rows")


def cypher_json(result: CypherResult) -> list[dict[str, Any]]:
    """The rows of a user's query as objects keyed by column."""
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]
