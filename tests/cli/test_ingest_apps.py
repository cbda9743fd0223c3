"""`mlsc ingest peatmoss` and `report practices` over applications, end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlsc.cli.app import app

runner = CliRunner()
SAMPLE = Path(__file__).parents[1] / "ingest" / "data" / "peatmoss-sample.csv"


def test_ingest_peatmoss_then_practices(tmp_path: Path) -> None:
    db = str(tmp_path / "kb")
    result = runner.invoke(app, ["ingest", "peatmoss", str(SAMPLE), "--db", db])
    assert result.exit_code == 0, result.stderr
    assert "read 12 rows" in result.stdout
    assert "links 11 (USES_MODEL, pinning unknown); applications 10; models 5" in result.stdout
    assert "line 10 (pszemraj/long-t5-tglobal-base-16384-book-summary): warning: duplicate" in (
        result.stderr
    )
    errors = tmp_path / "problems.jsonl"
    result = runner.invoke(
        app, ["ingest", "peatmoss", str(SAMPLE), "--db", db, "-f", "json", "--errors", str(errors)]
    )
    report = json.loads(result.stdout)
    assert (report["ingested"], report["applications"], report["placeholders"]) == (11, 10, 0)
    assert [json.loads(line)["reason"] for line in errors.read_text().splitlines()] == ["duplicate"]
    result = runner.invoke(app, ["report", "practices", "--db", db, "-f", "json"])
    pins = json.loads(result.stdout)["application_pinning"]
    assert pins == {"references": 11, "applications": 10, "pinned": 0, "known": 0,
                    "unknown": 11, "share": None}  # fmt: skip
    result = runner.invoke(app, ["report", "practices", "--db", db])
    assert "pinned to a commit: 0 of 0 known (-), 11 unknown" in result.stdout


def test_ingest_peatmoss_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "peatmoss", str(tmp_path / "nope.csv"),
                                 "--db", str(tmp_path / "kb")])  # fmt: skip
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_ingest_code_refuses_a_bad_repo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "code", str(tmp_path), "--repo", "acme/app",
                                 "--db", str(tmp_path / "kb")])  # fmt: skip
    assert result.exit_code == 1 and "HOST/OWNER/NAME" in result.stderr
