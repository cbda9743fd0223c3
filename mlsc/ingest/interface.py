"""What every ingestion source shares: its limits, its problems, its report, its progress.

    >>> report = IngestReport(source="snapshot:models.jsonl")
    >>> report.add(Problem(3, None, "invalid-json", "unexpected end", "skipped"))
    >>> report.to_json()["skipped_by_reason"]
    {'invalid-json': 1}

A source (the Hub snapshot, the Hub crawl, a git clone, GitHub) turns what it reads into graph
records; what it cannot use becomes a :class:`Problem`, never an abort; progress goes to a
:class:`Progress` observer that only the CLI draws.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

MAX_TEXT = 512
"""Longest text property kept from any source (longer ones are cut, with a warning)."""

MAX_KEPT_PROBLEMS = 10_000
"""Problems kept with their full text; beyond this only the counts grow (never silently:
the report says how many were left out)."""


@dataclass(frozen=True)
class Problem:
    """One bad record, or one odd thing about a good record."""

    line: int
    """1-based line number in the input (0 when not tied to a line, e.g. a cycle)."""
    record: str | None
    """The record's id where it has a readable one (truncated when absurdly long)."""
    reason: str
    """A short stable key: invalid-json, missing-id, invalid-id, self-derivation, ..."""
    detail: str
    severity: Literal["skipped", "warning"]
    """``skipped``: the record was not ingested; ``warning``: ingested, with this noted."""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record": self.record,
            "reason": self.reason,
            "detail": self.detail,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        if self.line:
            where = f"line {self.line}" + (f" ({self.record})" if self.record else "")
        else:  # a model, a file, a repository: named by itself; else the graph as a whole
            where = self.record or "graph"
        return f"{where}: {self.severity}: {self.reason}: {self.detail}"


@dataclass
class IngestReport:
    """Counts of an ingestion run. Mutable while the run goes on; read it at the end."""

    source: str
    read: int = 0
    ingested: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    problems_left_out: int = 0
    nodes_created: int = 0
    nodes_updated: int = 0
    placeholders: int = 0
    edges: Counter[str] = field(default_factory=Counter)
    """DERIVED_FROM edges written, by relation."""
    edges_removed: int = 0
    cycles: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        (self.skipped if problem.severity == "skipped" else self.warnings)[problem.reason] += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(problem)
        else:
            self.problems_left_out += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "ingested": self.ingested,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
            "warnings_by_reason": dict(sorted(self.warnings.items())),
            "nodes_created": self.nodes_created,
            "nodes_updated": self.nodes_updated,
            "placeholders": self.placeholders,
            "edges": sum(self.edges.values()),
            "edges_by_relation": dict(sorted(self.edges.items())),
            "edges_removed": self.edges_removed,
            "cycles": [list(c) for c in self.cycles],
            "problems": [p.to_json() for p in self.problems],
            "problems_left_out": self.problems_left_out,
        }


class Progress(Protocol):
    """Observer of a long run: called with (done, total); total is None while unknown
    (bytes of a snapshot file; models of a crawl, whose total grows as it is discovered)."""

    def __call__(self, done: int, total: int | None, /) -> None: ...


def authorship(author: str | None, committer: str | None) -> list[tuple[str, str]]:
    """(account, role) pairs for a commit: one ``AUTHORED`` edge per account, whose role is
    ``author``, ``committer`` or ``author,committer``."""
    if author and author == committer:
        return [(author, "author,committer")]
    return [(a, r) for a, r in ((author, "author"), (committer, "committer")) if a]
