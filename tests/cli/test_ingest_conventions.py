"""`mlsc ingest`: a saved Hub API answer (one JSON array, gzipped too) is ingested like JSON
Lines; a run that read records and ingested none exits 1 saying why; -q keeps the counts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from mlsc.cli.app import app
from tests.conftest import SAMPLE

runner = CliRunner()


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


def _stats(db: Path) -> dict[str, int]:
    result = runner.invoke(app, ["stats", "--db", str(db), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_json_array_and_a_gzipped_one_ingest_like_json_lines(tmp_path: Path) -> None:
    records = _records()
    plain = tmp_path / "models.json"
    plain.write_text(json.dumps(records, indent=2))
    packed = tmp_path / "models.json.gz"
    packed.write_bytes(gzip.compress(("\ufeff" + json.dumps(records)).encode()))
    expected = runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", str(tmp_path / "l")])
    assert expected.exit_code == 0
    for source, name in ((plain, "a"), (packed, "g")):
        result = runner.invoke(
            app, ["ingest", "snapshot", str(source), "--db", str(tmp_path / name), "-f", "json"]
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["read"] == report["ingested"] == len(records)
        assert report["skipped"] == 0
        assert _stats(tmp_path / name) == {
            **_stats(tmp_path / "l"),
            "location": str(tmp_path / name),
        }


def test_an_array_item_that_is_bad_is_numbered_by_its_place(tmp_path: Path) -> None:
    source = tmp_path / "models.json"
    source.write_text(json.dumps([{"id": "acme/good"}, {"id": "not an id!"}, 7]))
    result = runner.invoke(app, ["ingest", "snapshot", str(source), "--db", str(tmp_path / "kb")])
    assert result.exit_code == 0
    assert "line 2 (not an id!): skipped: invalid-id" in result.stderr
    assert "line 3: skipped: not-an-object: a JSON int" in result.stderr
    assert "ingested 1; skipped 2" in result.stdout


def test_json_lines_whose_first_line_is_an_array_is_still_read_line_by_line(tmp_path: Path) -> None:
    source = tmp_path / "models.jsonl"
    source.write_text('[1, 2]\n{"id": "acme/good"}\n')
    result = runner.invoke(app, ["ingest", "snapshot", str(source), "--db", str(tmp_path / "kb")])
    assert result.exit_code == 0, result.output
    assert "line 1: skipped: not-an-object: a JSON list" in result.stderr
    assert "ingested 1; skipped 1" in result.stdout


def test_a_run_that_ingested_nothing_exits_1_and_says_why(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text("".join(f'{{"id": "no good {n}"}}\n' for n in range(4)) + "not json\n")
    result = runner.invoke(app, ["ingest", "snapshot", str(source), "--db", str(tmp_path / "kb")])
    assert result.exit_code == 1
    assert "ingested 0; skipped 5" in result.stdout
    assert (
        f"error: nothing was ingested: all 5 records of {source} were skipped "
        "(invalid-id: 4, invalid-json: 1)"
    ) in result.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    nothing = runner.invoke(app, ["ingest", "snapshot", str(empty), "--db", str(tmp_path / "kb")])
    assert nothing.exit_code == 0  # no records to ingest is not a failure


def test_quiet_hides_each_problem_and_keeps_the_counts(tmp_path: Path) -> None:
    loud = runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", str(tmp_path / "a")])
    quiet = runner.invoke(
        app, ["ingest", "snapshot", str(SAMPLE), "--db", str(tmp_path / "b"), "-q"]
    )
    assert loud.exit_code == quiet.exit_code == 0
    assert quiet.stdout == loud.stdout.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    assert "card-tag-disagree: card names" in loud.stderr
    assert "card names" not in quiet.stderr
    assert quiet.stderr.strip().splitlines() == [
        "problems 8 (card-tag-disagree: 7, lineage-cycle: 1); --errors FILE writes them all"
    ]
