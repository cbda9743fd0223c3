"""The CLI in-process: exact exit codes, JSON shapes that scripts depend on, stdout/stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from tests.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "kb"
    result = runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_reports_counts_on_stdout_and_problems_on_stderr(tmp_path: Path) -> None:
    code, out, err = run("ingest", "snapshot", str(SAMPLE), "--db", str(tmp_path / "kb"))
    assert code == 0
    assert "read 378 records" in out and "ingested 378; skipped 0" in out
    assert "lineage cycles: 1" in out
    assert "lineage-cycle" in err and "card-tag-disagree" in err
    assert "lineage-cycle" not in out


def test_ingest_json_and_errors_file(tmp_path: Path) -> None:
    errors = tmp_path / "problems.jsonl"
    code, out, _ = run(
        "ingest",
        "snapshot",
        str(SAMPLE),
        "--db",
        str(tmp_path / "kb"),
        "-f",
        "json",
        "--errors",
        str(errors),
    )
    assert code == 0
    report = json.loads(out)
    assert report["read"] == 378 and report["edges"] == 429 and report["placeholders"] == 2
    assert report["edges_by_relation"] == {
        "adapter": 63,
        "finetune": 198,
        "merge": 93,
        "quantized": 75,
    }
    assert len(errors.read_text().splitlines()) == len(report["problems"]) == 8


def test_blast_radius_json_shape(db: Path) -> None:
    code, out, _ = run("blast-radius", "meta-llama/Llama-3.1-8B", "--db", str(db), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert {
        "target",
        "kind",
        "count",
        "affected",
        "by_relation",
        "by_depth",
        "owners",
        "downloads",
    } <= set(data)
    assert data["kind"] == "model" and data["target"] == "meta-llama/Llama-3.1-8B"
    assert data["count"] == len(data["affected"]) == sum(data["by_depth"].values())
    assert set(data["affected"][0]) >= {"id", "depth", "relation", "owner", "downloads"}
    assert data["affected"][0] == {
        "id": "meta-llama/Llama-3.1-8B",
        "depth": 0,
        "relation": None,
        "via": None,
        "owner": "meta-llama",
        "author": "meta-llama",  # added beside owner: lineage JSON calls it author
        "downloads": data["affected"][0]["downloads"],
    }
    deepest = max(a["depth"] for a in data["affected"])
    assert deepest == 14 and data["by_depth"]["14"] == 1
    assert data["downloads"] == sum(a["downloads"] or 0 for a in data["affected"])
    assert data["owners"] == len({a["owner"] for a in data["affected"] if a["owner"]})


def test_blast_radius_of_an_actor_covers_what_it_owns(db: Path) -> None:
    code, out, _ = run("blast-radius", "quantlab", "--db", str(db), "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "actor" and data["count"] == 45
    assert data["by_depth"] == {"0": 45}


def test_reach_json_shape_and_invariant(db: Path) -> None:
    code, out, _ = run("reach", "meta-llama", "--db", str(db), "-f", "json")
    data = json.loads(out)
    assert code == 0 and set(data) >= {"actor", "direct", "transitive", "total"}
    _, br, _ = run("blast-radius", "meta-llama", "--actor", "--db", str(db), "-f", "json")
    assert data["total"] == json.loads(br)["count"]
    assert data["direct"] + data["transitive"] >= data["total"] >= data["direct"]


def test_lineage_json_shape_reports_the_cycle(db: Path) -> None:
    code, out, _ = run("lineage", "loopwright/qwen-chat-v1", "--db", str(db), "-f", "json")
    data = json.loads(out)
    assert code == 0
    assert data["cycles"] == [["loopwright/qwen-chat-v1", "loopwright/qwen-chat-v2"]]
    ancestors = {a["id"]: a for a in data["ancestors"]}
    assert set(ancestors["loopwright/qwen-chat-v2"]) >= {"id", "depth", "relation"}
    descendants = {d["id"] for d in data["descendants"]}
    assert "ggufery/qwen-chat-v2-i1-GGUF" in descendants


def test_unknown_model_exits_1_with_suggestions(db: Path) -> None:
    code, out, err = run("lineage", "meta-llama/Llama-3.1-8b", "--db", str(db))
    assert code == 1 and out == ""
    assert "unknown model: 'meta-llama/Llama-3.1-8b'" in err
    assert "meta-llama/Llama-3.1-8B" in err.split("Closest known:")[1]


def test_empty_store_tells_how_to_ingest(tmp_path: Path) -> None:
    code, out, err = run("blast-radius", "x/y", "--db", str(tmp_path / "never"))
    assert code == 1 and out == ""
    assert "is empty" in err and "mlsc ingest snapshot" in err


def test_top_models_and_actors(db: Path) -> None:
    code, out, _ = run("top", "models", "-n", "3", "--db", str(db), "-f", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [
        "meta-llama/Llama-3.1-8B",
        "meta-llama/Llama-3.1-8B-Instruct",
        "Qwen/Qwen2.5-7B",
    ]
    assert rows[0]["reach"] == 162
    code, out, _ = run("top", "actors", "-n", "1", "--db", str(db), "-f", "json")
    assert json.loads(out) == [{"rank": 1, "id": "meta-llama", "reach": 163, "direct": 2}]


def test_cypher_is_read_only_unless_write(db: Path) -> None:
    code, _, err = run("cypher", "MATCH (m:Model) DETACH DELETE m", "--db", str(db))
    assert code == 1 and "read-only" in err
    code, out, _ = run(
        "cypher",
        "MATCH (m:Model {id: $id}) RETURN m.license AS license",
        "-p",
        "id=mallory/innocent-finetune",
        "--db",
        str(db),
        "-f",
        "json",
    )
    assert code == 0 and json.loads(out) == [{"license": "<img src=x onerror=alert(1)>"}]


def test_stats_counts(db: Path) -> None:
    code, out, _ = run("stats", "--db", str(db), "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["Model"] == 380 and data["DERIVED_FROM"] == 429
    assert data["Model:placeholder"] == 2


def test_html_is_written(db: Path, tmp_path: Path) -> None:
    page = tmp_path / "lineage.html"
    code, _, err = run("lineage", "mallory/innocent-finetune", "--db", str(db), "--html", str(page))
    assert code == 0 and f"wrote {page}" in err
    text = page.read_text()
    assert "<img src=x onerror" not in text
    assert "mallory/innocent-finetune" in text


def test_export_neo4j_admin_prints_the_files_and_the_command(db: Path, tmp_path: Path) -> None:
    code, out, err = run("export", "neo4j-admin", str(tmp_path / "csv"), "--db", str(db))
    assert code == 0, err
    assert "nodes-Model.csv" in out and "380" in out
    assert "neo4j-admin database import full neo4j --array-delimiter=U+001F" in out
    assert "Import with the database stopped" in err
    code, out, err = run("export", "neo4j-admin", str(tmp_path / "csv"), "--db", str(db))
    assert code == 1 and "is not empty" in err and out == ""


@pytest.mark.neo4j
def test_copy_to_neo4j_and_back(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import neo4j_settings, wipe

    settings = neo4j_settings()
    if settings is None:
        pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
    wipe(settings)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.password)
    neo4j = ["--neo4j-uri", settings.uri, "--neo4j-user", settings.user]
    code, out, err = run(*neo4j, "copy", "--to", "neo4j", "--db", str(db), "-f", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["mirrored"] is True and report["copied"]["Model"] == 380
    assert settings.password not in out + err
    code, out, err = run(*neo4j, "copy", "--to", "ladybug", "--db", str(tmp_path / "back"))
    assert code == 0, err
    assert "DERIVED_FROM" in out and "warning" not in err
    code, out, _ = run("stats", "--db", str(tmp_path / "back"), "-f", "json")
    assert json.loads(out)["DERIVED_FROM"] == 429


def test_copy_needs_a_known_target(db: Path) -> None:
    code, out, err = run("copy", "--to", "postgres", "--db", str(db))
    assert code == 1 and "neo4j or to ladybug" in err and out == ""


def test_cypher_timeout_stops_the_query_with_a_message(db: Path) -> None:
    from tests.graph.test_store_contract import SLOW

    code, out, err = run("cypher", SLOW, "--timeout", "0.5", "--db", str(db))
    assert code == 1 and out == ""
    assert "longer than 0.5 s" in err and "--timeout" in err and "Traceback" not in err


def test_reports_on_the_sample(db: Path) -> None:
    code, out, _ = run("report", "practices", "--db", str(db), "-f", "json")
    practices = json.loads(out)
    assert code == 0 and practices["models"] == 378
    gated = next(f for f in practices["figures"] if f["name"] == "models_gated")
    assert (gated["numerator"], gated["denominator"]) == (14, 378)
    assert practices["models_per_writer"]["top"][0] == {"id": "quantlab", "count": 45}

    code, out, _ = run("report", "discrepancies", "--db", str(db), "-f", "json")
    found = json.loads(out)
    assert code == 0 and found["by_severity"] == {"high": 3, "low": 17}
    assert {f["kind"] for f in found["findings"]} == {
        "child-before-parent", "lineage-cycle", "missing-base", "renamed-base"
    }  # fmt: skip

    code, out, _ = run(
        "report", "scorecard", "quantlab/Evo-8B-g12-GGUF", "--db", str(db), "-f", "json"
    )
    card = json.loads(out)
    assert code == 0 and len(card["cells"]) == 9 and card["ancestors_scored"] == 14
    assert card["weakest_upstream"]["model"] == "meta-llama/Llama-3.1-8B-Instruct"

    code, out, err = run("report", "scorecard", "no/such-model", "--db", str(db))
    assert code == 1 and out == "" and "no/such-model" in err
    code, out, _ = run("report", "scorecard", "quantlab/Evo-8B-g12-GGUF", "--db", str(db))
    assert "weakest link upstream: meta-llama/Llama-3.1-8B-Instruct" in out


def test_report_pages(db: Path, tmp_path: Path) -> None:
    page = tmp_path / "card.html"
    code, _, err = run("report", "scorecard", "quantlab/Evo-8B-g12-GGUF", "--db", str(db),
                       "--html", str(page))  # fmt: skip
    assert code == 0 and f"wrote {page}" in err and "Scorecard of" in page.read_text()
    code, _, err = run("report", "practices", "--db", str(db), "--html", str(tmp_path / "x/p.html"))
    assert code == 1 and "cannot write" in err
    page = tmp_path / "findings.html"
    code, out, err = run("report", "discrepancies", "--db", str(db), "--limit", "5",
                         "--html", str(page))  # fmt: skip
    assert code == 0 and f"wrote {page}" in err and "first 5" in out
    assert page.read_text().count("<tr data-severity=") == 20  # the page shows up to 500


def test_export_cyclonedx(db: Path, tmp_path: Path) -> None:
    code, out, _ = run("export", "cyclonedx", "quantlab/Evo-8B-g12-GGUF", "--db", str(db))
    bom = json.loads(out)
    assert code == 0 and bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["type"] == "machine-learning-model"
    assert len(bom["metadata"]["component"]["pedigree"]["ancestors"]) == 14
    target = tmp_path / "bom.json"
    code, out, err = run("export", "cyclonedx", "quantlab/Evo-8B-g12-GGUF", "--db", str(db),
                         "-o", str(target))  # fmt: skip
    assert code == 0 and out == "" and json.loads(target.read_text())["bomFormat"] == "CycloneDX"
    code, out, err = run("export", "cyclonedx", "no/such", "--db", str(db))
    assert code == 1 and out == "" and "no/such" in err
