"""`mlsc scan` end to end: a malicious pickle (built from opcodes, never loaded) is recorded on
its File node, and the models downstream of the flagged model are named."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlsc.cli.app import app
from tests.conftest import SAMPLE

runner = CliRunner()

# protocol 2: GLOBAL 'os system', the argument, REDUCE, STOP
EVIL = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def test_scan_flags_records_and_names_the_downstream(tmp_path: Path) -> None:
    db = str(tmp_path / "kb")
    assert runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", db]).exit_code == 0
    model = tmp_path / "Llama-3.1-8B"
    model.mkdir()
    (model / "pytorch_model.pkl").write_bytes(EVIL)
    (model / "README.md").write_text("# card")
    args = ["scan", str(model), "--model", "meta-llama/Llama-3.1-8B", "--db", db]
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 3, result.stderr  # critical fails by default, as in CI
    data = json.loads(result.stdout)
    assert data["status"] == "critical"
    evil = next(f for f in data["files"] if f["path"] == "pytorch_model.pkl")
    assert evil["status"] == "critical" and "os.system" in evil["imports"]
    [finding] = [x for x in evil["findings"] if x["kind"] == "dangerous_import"]
    assert (finding["rule"], finding["opcode"], finding["imports"]) == (
        "MLSC101",
        finding["opcode"],
        ["os.system"],
    )
    assert finding["check"].startswith("python -m pickletools ")
    assert len(data["downstream"]["inherit"]) == 162  # the sample's blast radius minus itself
    assert data["signature"].startswith("unsigned")

    rows = runner.invoke(
        app,
        ["cypher", "MATCH (:Model {id: 'meta-llama/Llama-3.1-8B'})-[:HAS_FILE]->(f:File) "
         "RETURN f.path, f.scan_status ORDER BY f.path", "--db", db, "-f", "json"],
    )  # fmt: skip
    assert json.loads(rows.stdout) == [
        {"f.path": "README.md", "f.scan_status": "skipped"},
        {"f.path": "pytorch_model.pkl", "f.scan_status": "critical"},
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 3 and "downstream models inherit" in result.stdout
    assert "mlsc blast-radius meta-llama/Llama-3.1-8B" in result.stdout
    assert "check by hand with  python -m pickletools" in result.stdout
    assert runner.invoke(app, [*args, "--fail-on", "none"]).exit_code == 0
    result = runner.invoke(app, ["scan", str(tmp_path / "nope"), "--no-store"])
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = runner.invoke(app, [*args, "--fail-on", "sometimes"])
    assert result.exit_code == 1 and "critical, warning or none" in result.stderr


def test_an_unknown_model_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    db = str(tmp_path / "kb")
    assert runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", db]).exit_code == 0
    model = tmp_path / "typo"
    model.mkdir()
    (model / "pytorch_model.pkl").write_bytes(EVIL)
    result = runner.invoke(app, ["scan", str(model), "--model", "meta-llama/Llama-3.1-8c",
                                 "--db", db])  # fmt: skip
    assert result.exit_code == 1
    assert "meta-llama/Llama-3.1-8c" in result.stderr and "meta-llama/Llama-3.1-8B" in result.stderr
    rows = runner.invoke(
        app,
        ["cypher", "MATCH (f:File) WHERE f.scan_status IS NOT NULL RETURN count(*) AS n",
         "--db", db, "-f", "json"],
    )  # fmt: skip
    assert json.loads(rows.stdout) == [{"n": 0}]
    gone = runner.invoke(app, ["lineage", "meta-llama/Llama-3.1-8c", "--db", db])
    assert gone.exit_code == 1


def test_exit_status_follows_fail_on(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    # protocol 2: GLOBAL of a library class (on neither list: a warning), EMPTY_TUPLE,
    # REDUCE, STOP
    (model / "training_args.bin").write_bytes(
        b"\x80\x02ctransformers.training_args\nTrainingArguments\n)R."
    )
    base = ["scan", str(model), "--no-store"]
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, [*base, "--fail-on", "warning"]).exit_code == 3
    (model / "training_args.bin").write_bytes(b"\x80\x02}.")
    assert runner.invoke(app, [*base, "--fail-on", "warning"]).exit_code == 0


def test_sarif_for_code_scanning(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    (model / "pytorch_model.pkl").write_bytes(EVIL)
    result = runner.invoke(app, ["scan", str(model), "--no-store", "-f", "sarif"])
    assert result.exit_code == 3, result.stderr
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert {r["ruleId"] for r in run["results"]} >= {"MLSC101"}
    [evil] = [r for r in run["results"] if r["ruleId"] == "MLSC101"]
    assert evil["level"] == "error"
    assert evil["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "pytorch_model.pkl"
    )


def test_the_hubs_verdict_is_never_reported_lower(tmp_path: Path) -> None:
    """The hub's scanner rates pytorch_model.bin unsafe; the local copy walks clean (a plain
    dict). The scan reports the hub's verdict, fails, and names who inherits the model."""
    db = str(tmp_path / "kb")
    assert runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", db]).exit_code == 0
    status = (
        '{"scansDone": true, "filesWithIssues": [{"path": "pytorch_model.bin", "level": "unsafe"}]}'
    )
    write = runner.invoke(
        app,
        ["cypher", "MATCH (m:Model {id: 'meta-llama/Llama-3.1-8B'}) SET m.security_status = $s",
         "-p", f"s={json.dumps(status)}", "--write", "--db", db],
    )  # fmt: skip
    assert write.exit_code == 0, write.stderr
    model = tmp_path / "copy"
    model.mkdir()
    (model / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")  # protocol 2: an empty dict
    result = runner.invoke(app, ["scan", str(model), "--model", "meta-llama/Llama-3.1-8B",
                                 "--db", db, "-f", "json"])  # fmt: skip
    assert result.exit_code == 3, result.stderr
    data = json.loads(result.stdout)
    assert (data["status"], data["mlsc_status"]) == ("critical", "clean")
    [hub] = [d for d in data["disagreements"] if d["kind"] == "hub-verdict"]
    assert hub["path"] == "pytorch_model.bin" and hub["status"] == "critical"
    assert len(data["downstream"]["inherit"]) == 162
    [weights] = data["files"]
    assert weights["status"] == "critical"
    assert [x["rule"] for x in weights["findings"] if x["engine"] == "hub"] == ["MLSC901"]
    sarif = runner.invoke(app, ["scan", str(model), "--model", "meta-llama/Llama-3.1-8B",
                                "--db", db, "-f", "sarif"])  # fmt: skip
    assert sarif.exit_code == 3
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results if r["level"] != "note"] == [
        ("MLSC901", "error")
    ]
    stored = runner.invoke(
        app,
        ["cypher", "MATCH (f:File {id: 'meta-llama/Llama-3.1-8B/pytorch_model.bin'}) "
         "RETURN f.scan_status", "--db", db, "-f", "json"],
    )  # fmt: skip
    assert json.loads(stored.stdout) == [{"f.scan_status": "clean"}]  # mlsc's own, beside
