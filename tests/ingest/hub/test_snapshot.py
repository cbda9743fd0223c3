"""Snapshot ingestion: real-shaped records, every kind of bad input, idempotence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from mlsc.errors import InputError
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub import snapshot
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.ingest.interface import MAX_TEXT
from tests.conftest import SAMPLE


def record(mid: str, *bases: str, relation: str | None = None, **extra: Any) -> dict[str, Any]:
    card: dict[str, Any] = {"license": "apache-2.0"}
    if bases:
        card["base_model"] = bases[0] if len(bases) == 1 else list(bases)
    if relation:
        card["base_model_relation"] = relation
    return {
        "id": mid,
        "author": mid.split("/")[0],
        "sha": "0" * 40,
        "createdAt": "2024-07-23T15:04:12.000Z",
        "lastModified": "2024-08-01T10:00:00.000Z",
        "downloads": 10,
        "likes": 1,
        "tags": [f"base_model:{relation or 'finetune'}:{b}" for b in bases],
        "library_name": "transformers",
        "pipeline_tag": "text-generation",
        "gated": False,
        "private": False,
        "cardData": card,
        "siblings": [{"rfilename": "model.safetensors"}],
        "config": {"model_type": "llama", "architectures": ["LlamaForCausalLM"]},
        **extra,
    }


def write_lines(path: Path, lines: list[str | dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path


BAD_FILE: list[str | dict[str, Any]] = [
    record("base/root"),  # 1 ok
    '{"id": "broken/json", ',  # 2 invalid-json
    "[1, 2, 3]",  # 3 not-an-object
    {"downloads": 5},  # 4 missing-id
    record("not a valid id"),  # 5 invalid-id
    {"id": "x" * 100_000},  # 6 invalid-id (absurdly long)
    record("me/selfish", "me/selfish"),  # 7 ok, self-derivation warned
    record("me/loop-a", "me/loop-b"),  # 8 ok, part of a cycle
    record("me/loop-b", "me/loop-a"),  # 9 ok, part of a cycle
    record("me/long-licence", "base/root", cardData={"license": "L" * 100_000}),  # 10 truncated
    record("me/odd-relation", "base/root", relation="frobnicated"),  # 11 unknown relation
    "",  # 12 blank: not a record
    record("me/child", "base/root", "missing/base"),  # 13 ok, merge with a placeholder
    {"id": "me/weird-types", "downloads": "many", "cardData": "oops", "tags": "x"},  # 14 warnings
    record("me/selfish"),  # 15 duplicate id: later wins
]


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "bad.jsonl", BAD_FILE)


def test_bad_records_are_reported_by_line_and_reason_and_the_rest_goes_on(
    store: GraphStore, bad_file: Path
) -> None:
    report = ingest_snapshot(store, bad_file)
    skipped = {(p.line, p.reason) for p in report.problems if p.severity == "skipped"}
    assert skipped == {
        (2, "invalid-json"),
        (3, "not-an-object"),
        (4, "missing-id"),
        (5, "invalid-id"),
        (6, "invalid-id"),
    }
    warned = {(p.line, p.reason) for p in report.problems if p.severity == "warning"}
    assert {
        (7, "self-derivation"),
        (10, "field-truncated"),
        (11, "unknown-relation"),
        (14, "invalid-field"),
        (15, "duplicate-id"),
        (0, "lineage-cycle"),
    } <= warned
    assert report.read == 14 and report.ingested == 9
    assert dict(report.skipped) == {
        "invalid-json": 1,
        "not-an-object": 1,
        "missing-id": 1,
        "invalid-id": 2,
    }
    assert report.cycles == [("me/loop-a", "me/loop-b")]
    assert report.placeholders == 1
    # the absurd id is cut in the message, never echoed whole
    assert all(len(p.record or "") <= 120 for p in report.problems)

    long = store.node("Model", "me/long-licence")
    assert long is not None and long["license"] == "L" * MAX_TEXT
    missing = store.node("Model", "missing/base")
    assert missing is not None and missing["ingested"] is False and missing["author"] == "missing"
    assert store.derivation("me/child", "missing/base") is not None
    edge = store.derivation("me/odd-relation", "base/root")
    assert edge is not None and edge["relation"] == "unknown"
    weird = store.node("Model", "me/weird-types")
    assert weird is not None and weird["downloads"] is None
    assert store.derivation("me/selfish", "me/selfish") is None


def test_the_same_file_twice_changes_nothing(store: GraphStore, bad_file: Path) -> None:
    ingest_snapshot(store, bad_file)
    counts = store.counts()
    before = store.cypher("MATCH (m:Model) RETURN m.id, m.downloads, m.observed_at ORDER BY m.id")
    second = ingest_snapshot(store, bad_file)
    assert store.counts() == counts
    assert (
        store.cypher("MATCH (m:Model) RETURN m.id, m.downloads, m.observed_at ORDER BY m.id")
        == before
    )
    assert second.nodes_created == 0 and second.edges_removed == 0


def test_a_newer_snapshot_updates_properties_and_lineage(store: GraphStore, tmp_path: Path) -> None:
    old = write_lines(
        tmp_path / "old.jsonl",
        [record("base/root"), record("me/a", "base/root"), record("me/b", "base/root")],
    )
    ingest_snapshot(store, old, observed_at="2025-01-01T00:00:00Z")
    newer = write_lines(
        tmp_path / "new.jsonl",
        [
            record("me/a", "base/other", downloads=999),  # re-based: the old edge must go
            record("me/c", "me/a", relation="quantized"),
        ],
    )
    report = ingest_snapshot(store, newer, observed_at="2025-02-01T00:00:00Z")
    assert report.edges_removed == 1
    a = store.node("Model", "me/a")
    assert (
        a is not None and a["downloads"] == 999 and a["observed_at"] == "2025-02-01T00:00:00.000Z"
    )
    assert store.derivation("me/a", "base/root") is None
    assert store.derivation("me/a", "base/other") is not None
    assert store.derivation("me/b", "base/root") is not None  # untouched by the newer file
    assert store.counts()["Model"] == 5


def test_gzip_is_detected_by_content(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "models.data"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in [record("base/root"), record("me/a", "base/root")]:
            fh.write(json.dumps(r) + "\n")
    report = ingest_snapshot(store, path)
    assert report.ingested == 2 and sum(report.edges.values()) == 1


def test_a_truncated_gzip_file_is_an_input_error(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(
        b"".join(json.dumps(record(f"me/m{i}")).encode() + b"\n" for i in range(500))
    )
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cannot read past line"):
        ingest_snapshot(store, path)


def test_a_missing_file_is_an_input_error(store: GraphStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such snapshot file"):
        ingest_snapshot(store, tmp_path / "nope.jsonl")


def test_worker_processes_give_the_same_graph_and_report(
    store: GraphStore, tmp_path: Path, make_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small blocks, so the chain, a duplicate and a bad line fall in different blocks.
    monkeypatch.setattr(snapshot, "BLOCK", 7)
    chain = [record(f"c/m{i}", f"c/m{i - 1}") for i in range(1, 40)][::-1]
    lines: list[str | dict[str, Any]] = [record("c/m0"), *chain, "{oops", record("c/m5", "c/m0")]
    path = write_lines(tmp_path / "chain.jsonl", lines)
    parallel = ingest_snapshot(store, path, workers=2)
    other = make_store()
    serial = ingest_snapshot(other, path, workers=0)
    assert parallel.to_json() == serial.to_json()
    assert store.counts() == other.counts()
    assert sorted(store.derivation_edges()) == sorted(other.derivation_edges())
    # the later record of c/m5 wins: it now derives from c/m0, not c/m4
    assert store.derivation("c/m5", "c/m0") is not None
    assert store.derivation("c/m5", "c/m4") is None
    assert [p.reason for p in parallel.problems] == ["invalid-json", "duplicate-id"]
    assert parallel.problems[1].line == 42 and "also on line 36" in parallel.problems[1].detail


def test_the_shipped_sample_ingests_cleanly(store: GraphStore) -> None:
    report = ingest_snapshot(store, SAMPLE)
    assert report.read == report.ingested == 378
    assert not report.skipped
    assert set(report.warnings) == {"card-tag-disagree", "lineage-cycle"}
    assert report.cycles == [("loopwright/qwen-chat-v1", "loopwright/qwen-chat-v2")]
    # the renamed base resolves to the new id: no placeholder for the old name
    assert store.node("Model", "meta-llama/Meta-Llama-3.1-8B") is None
    assert store.node("Model", "gpt2") is not None
    edge = store.derivation("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")
    assert edge is not None
    assert "card:base_model=meta-llama/Meta-Llama-3.1-8B (renamed)" in edge["evidence"]
