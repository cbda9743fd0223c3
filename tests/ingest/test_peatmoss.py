"""`mlsc ingest peatmoss`: real PeaTMOSS links become USES_MODEL edges with pinning unknown."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mlsc.code.references import CodeReading, ModelReference
from mlsc.graph.reads_code import ModelUse, uses_by, uses_of
from mlsc.graph.store import GraphStore
from mlsc.ingest.code import Application, ingest_reading
from mlsc.ingest.peatmoss import ingest_peatmoss

SAMPLE = Path(__file__).parent / "data" / "peatmoss-sample.csv"
STAMP = "2024-03-01T00:00:00.000Z"


def counts(store: GraphStore, label: str) -> int:
    return int(store.read(f"MATCH (n:{label}) RETURN count(n)")[0][0])


def edges(store: GraphStore, rel: str) -> int:
    return int(store.read(f"MATCH ()-[r:{rel}]->() RETURN count(r)")[0][0])


def test_sample(store: GraphStore) -> None:
    report = ingest_peatmoss(store, SAMPLE, observed_at=STAMP)
    assert (report.read, report.ingested, report.applications, report.models) == (12, 11, 10, 5)
    assert report.placeholders == 5 and dict(report.warnings) == {"duplicate": 1}
    (dup,) = report.problems
    assert (dup.line, dup.record) == (10, "pszemraj/long-t5-tglobal-base-16384-book-summary")
    assert "first on line 9" in dup.detail
    assert counts(store, "CodeRepository") == 10 and counts(store, "Model") == 5
    # owners of the namespaced placeholders; gpt2 and bert-base-uncased have none
    assert edges(store, "OWNS") == 3 and edges(store, "USES_MODEL") == 11
    gpt2 = uses_of(store, ["gpt2"])
    assert [u.application for u in gpt2] == [
        "github.com/MikeGu721/EasyLLM", "github.com/NoviScl/GPT3-Reliability",
        "github.com/ekinakyurek/deprem_openai_apis", "github.com/kayoyin/interpret-lm",
        "github.com/summerstay/Infinite-Adventure",
    ]  # fmt: skip
    assert gpt2[0] == ModelUse("github.com/MikeGu721/EasyLLM", "gpt2", None, None, None, None,
                               None, None, ["peatmoss"], 0.8)  # fmt: skip
    repo = store.node("CodeRepository", "github.com/bigcode-project/commits")
    assert repo is not None and repo["url"] == "https://github.com/bigcode-project/commits"
    assert repo["host"] == "github.com" and repo["source"] == "peatmoss"
    model = store.node("Model", "bigcode/santacoder")
    assert model is not None and model["ingested"] is False and model["license"] is None
    # a second run leaves the same graph
    again = ingest_peatmoss(store, SAMPLE, observed_at=STAMP)
    assert again.ingested == 11 and again.placeholders == 0
    assert counts(store, "Model") == 5 and edges(store, "USES_MODEL") == 11


def test_bad_rows_are_reported_and_the_rest_goes_on(store: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "mapping.csv"
    good = SAMPLE.read_bytes().splitlines(keepends=True)[0]
    bad.write_bytes(
        good
        + b"github.com/acme/app,gpt2\n"
        + b"gitlab.com/acme/app,gpt2,https://huggingface.co/gpt2,mit\n"
        + b"github.com/acme/app,x'}) DETACH DELETE n //,https://huggingface.co/x,mit\n"
        + b"github.com/acme/app,gpt2,https://huggingface.co/openai-community/gpt2,mit\n"
        + b"github.com/acme/\xff\xfe,gpt2,https://huggingface.co/gpt2,mit\n"
        + b"\n"
        + b"github.com/../etc,gpt2,https://huggingface.co/gpt2,mit\n"
    )
    report = ingest_peatmoss(store, bad, observed_at=STAMP)
    got = [(p.line, p.reason, p.severity) for p in report.problems]
    assert got == [
        (2, "wrong-columns", "skipped"),
        (3, "invalid-repo", "skipped"),
        (4, "invalid-id", "skipped"),
        (5, "url-mismatch", "warning"),
        (6, "invalid-csv", "skipped"),
        (8, "invalid-repo", "skipped"),
    ]
    assert report.read == 7 and report.ingested == 2
    assert [u.model for u in uses_by(store, ["github.com/acme/app"])] == ["gpt2"]


def test_never_overrides_what_the_code_reader_wrote(store: GraphStore) -> None:
    app = Application("github.com/NoviScl/GPT3-Reliability", "github.com",
                      "https://github.com/NoviScl/GPT3-Reliability")  # fmt: skip
    sha = "e7da7f221d5bf496a48136c0cd264e630fe9fcc8"
    reading = CodeReading("/src", (ModelReference("gen.py", 4, "gpt2", sha, "commit",
                                                  "from_pretrained", "python", 1.0),), 1)  # fmt: skip
    ingest_reading(store, reading, app, observed_at=STAMP)
    report = ingest_peatmoss(store, SAMPLE, observed_at=STAMP)
    assert report.kept == 1 and report.ingested == 10
    (use,) = uses_by(store, [app.id])
    assert (use.pinned, use.revision, use.evidence, use.file) == (True, sha, ["python"], "gen.py")
    node = store.node("CodeRepository", app.id)
    assert node is not None and node["source"] == "code"


@pytest.mark.shared_data
def test_whole_mapping(shared_data: Path, make_store: object) -> None:
    path = shared_data / "peatmoss" / "github-to-hf-mapping.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    links = {(f"{r[0]}", r[1]) for r in rows}
    store = make_store()  # type: ignore[operator]
    report = ingest_peatmoss(store, path)
    assert report.read == len(rows) == 22_861
    assert report.ingested == len(links) == 22_860
    assert report.applications == len({a for a, _ in links}) == 7_956
    assert report.models == len({m for _, m in links}) == 1_512
    assert sum(report.skipped.values()) == 0 and dict(report.warnings) == {"duplicate": 1}
    assert edges(store, "USES_MODEL") == len(links)
    assert counts(store, "CodeRepository") == 7_956 and counts(store, "Model") == 1_512
    owned = {m for _, m in links if "/" in m}
    assert edges(store, "OWNS") == len(owned)
