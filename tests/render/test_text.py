"""Terminal summaries: values in, blocks out, nothing printed and no store opened."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mlsc.ingest.interface import IngestReport, Problem
from mlsc.queries.results import Application, AppModel
from mlsc.render.text import (
    Line,
    Note,
    Table,
    Warn,
    blast_radius_summary,
    cell,
    counts,
    cypher_json,
    lineage_summary,
    pct,
    score,
)
from mlsc.render.text_ingest import crawl_summary, snapshot_summary
from mlsc.render.text_reports import copy_summary, discrepancies_summary


def test_cells_numbers_and_shares() -> None:
    assert [cell(v) for v in (None, True, False, 1234567, 0.5, "x")] == [
        "-", "yes", "no", "1,234,567", "0.50", "x",
    ]  # fmt: skip
    assert counts({"b": 2000, "a": 1}) == "a 1, b 2,000"
    assert counts({}) == "none"
    assert (pct(0.12345), pct(None)) == ("12.35%", "-")
    assert (score(0.5), score(None)) == ("0.50", "unknown")


def _problem(i: int, severity: Any = "warning", reason: str = "odd") -> Problem:
    return Problem(i, f"m{i}", reason, "detail", severity)


def test_snapshot_shows_every_skip_and_cycle_and_the_first_20_others() -> None:
    report = IngestReport(source="s", read=30, ingested=26, placeholders=1)
    for i in range(1, 26):
        report.add(_problem(i))
    report.add(_problem(26, "skipped", "invalid-id"))
    report.add(_problem(0, reason="lineage-cycle"))
    report.problems_left_out = 3
    report.edges["finetune"] = 4
    blocks = list(snapshot_summary(report, Path("models.jsonl")))
    notes = [b.text for b in blocks if isinstance(b, Note)]
    assert len(notes) == 23 and notes[-1].startswith("... and 8 more problems")
    assert "line 26 (m26): skipped: invalid-id: detail" in notes
    assert "m0: warning: lineage-cycle: detail" in notes
    assert [b.text for b in blocks if isinstance(b, Line)] == [
        "read 30 records from models.jsonl",
        "ingested 26; skipped 1 (invalid-id: 1)",
        "derivations 4 (finetune: 4)",
        "base models known only by name: 1",
        "lineage cycles: 0",
    ]


def test_crawl_caps_problems_at_30_and_counts_the_rest() -> None:
    report = SimpleNamespace(
        problems=[f"p{i}" for i in range(33)], endpoint="https://hub", seconds=1.25, resumed=0,
        models=0, since=None, unchanged=0, edges={}, evidence={"card": 2}, files=0,
        pickle_files=0, commits=0, datasets=0, actors=0, organisations=0, memberships=0,
        aliases={"a/x": "b/x"}, removed=[], skipped={}, requests=3,
    )  # fmt: skip
    blocks = list(crawl_summary(report))
    notes = [b.text for b in blocks if isinstance(b, Note)]
    assert notes[-1] == "... and 3 more (--errors FILE writes them all)" and len(notes) == 31
    lines = [b.text for b in blocks if isinstance(b, Line)]
    assert lines[0] == "crawled https://hub in 1.2 s"
    assert "renamed a/x -> b/x 1" in lines and lines[-1] == "requests 3 (- per model)"


def test_lineage_and_blast_radius_tables() -> None:
    entry = SimpleNamespace(depth=1, id="a/b", relation="finetune", via="card", author="a",
                            downloads=5)  # fmt: skip
    lineage = SimpleNamespace(ancestors=[entry], descendants=[], cycles=[("x", "y", "x")])
    blocks = list(lineage_summary(lineage, "c/d"))
    assert blocks[0] == Table(
        "ancestors of c/d: 1",
        ("depth", "id", "relation", "via", "owner", "downloads"),
        [(1, "a/b", "finetune", "card", "a", 5)],
        empty="c/d derives from no model in the knowledge base",
    )
    assert blocks[1].rows == [] and blocks[1].empty == (
        "no model derives from c/d: it has no descendants in the knowledge base"
    )
    assert blocks[-1] == Warn("lineage cycle: x -> y -> x")

    affected = [SimpleNamespace(depth=d, id=f"m{d}", relation="r", via="v", owner="o",
                                downloads=d) for d in range(4)]  # fmt: skip
    radius = SimpleNamespace(
        kind="model", count=4, seeds=["m0"], downloads=6, owners=["o"], commits=[],
        since=None, repositories=[], by_depth={0: 1, 1: 1}, by_relation={"r": 3},
        affected=affected, applications=(), exposed=0,
    )  # fmt: skip
    blocks = list(blast_radius_summary(radius, "m0", limit=2))
    assert blocks[0] == Line(
        "blast radius of model m0: 4 models (1 compromised directly), 6 downloads, "
        "1 owners to notify"
    )
    last = blocks[-2]
    assert isinstance(last, Table) and len(last.rows) == 2
    assert last.title == "affected models (first 2 of 4 by depth, downloads)"
    assert blocks[-1] == Line("no application in the knowledge base loads an affected model")

    pinned = AppModel("m0", 0, True, "a" * 40, "commit", "pinned-before")
    lora = AppModel("m1", 1, True, "b" * 40, "commit", "pinned", note="an adapter")
    apps = (
        Application("github.com/x/y", (lora,), True),
        Application("github.com/x/z", (pinned,), False),
    )
    with_apps = SimpleNamespace(**{**vars(radius), "applications": apps, "exposed": 1,
                                   "since": "2026-01-01T00:00:00.000Z"})  # fmt: skip
    blocks = list(blast_radius_summary(with_apps, "m0", limit=5))
    assert blocks[-3] == Line(
        "2 applications load an affected model, 1 exposed "
        "(pins dated against 2026-01-01T00:00:00.000Z)"
    )
    assert blocks[-2] == Table(
        "applications (first 2 of 2 references, exposed first)",
        ("id", "exposed", "models", "depth", "pinned", "revision", "status"),
        [("github.com/x/y", True, "m1", 1, True, "b" * 40, "pinned"),
         ("github.com/x/z", False, "m0", 0, True, "a" * 40, "pinned-before")],
    )  # fmt: skip
    assert blocks[-1] == Note("m1: an adapter")


def test_reports_copy_and_cypher() -> None:
    findings = SimpleNamespace(findings=[], by_severity={})
    assert next(discrepancies_summary(findings, 50)) == Line("0 findings (none)")
    copied = SimpleNamespace(copied={"Model": 2}, source_counts={"Model": 2},
                             target_counts={"Model": 3}, seconds=0.04, mirrored=False)  # fmt: skip
    blocks = list(copy_summary(copied))
    assert blocks[0] == Table("copied in 0.0 s", ("kind", "copied", "source", "target"),
                              [("Model", 2, 2, 3)])  # fmt: skip
    assert isinstance(blocks[1], Warn) and "merged into it" in blocks[1].text
    result = SimpleNamespace(columns=("a", "b"), rows=((1, "x"),))
    assert cypher_json(result) == [{"a": 1, "b": "x"}]


def test_fact_values_read_as_words_not_python() -> None:
    from mlsc.render.text import fact_value

    flagged = [{"file": "pytorch_model.bin", "verdict": "critical", "callables": ["os.system"],
                "finding": "critical dangerous_import"}]  # fmt: skip
    assert fact_value(flagged) == "pytorch_model.bin (critical: os.system)"
    assert fact_value([{"file": "a.pkl", "verdict": "warning", "callables": []}]) == "a.pkl (warning)"
    assert (fact_value(None), fact_value(True), fact_value([])) == ("unknown", "yes", "none")
