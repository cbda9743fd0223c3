"""`mlsc blast-radius` into applications, in-process: the JSON scripts read, the table people
read, and `--since` on a model target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.graph.ladybug import LadybugStore
from tests.queries.applications_graph import BASE_OLD, SINCE, applications_batch

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("apps") / "kb"
    store = LadybugStore(path)
    store.write(applications_batch())
    store.close()
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_with_since_on_a_model(db: Path) -> None:
    code, out, _ = run("blast-radius", "meta/base", "--since", SINCE, "--db", str(db), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["since"] == "2026-11-01T00:00:00.000Z"
    assert (data["applications_count"], data["applications_exposed"]) == (7, 6)
    chat = data["applications"][-1]
    assert chat["id"] == "github.com/acme/chat" and chat["exposed"] is False
    assert chat["models"][0] == {
        "id": "meta/base",
        "depth": 0,
        "pinned": True,
        "revision": BASE_OLD,
        "revision_kind": "commit",
        "status": "pinned-before",
        "note": None,
        "file": "app.py",
        "line": 12,
    }
    assert [a["exposed"] for a in data["applications"]] == [True] * 6 + [False]


def test_table_lists_applications_after_the_models(db: Path) -> None:
    code, out, err = run("blast-radius", "meta/base", "--since", SINCE, "--db", str(db))
    assert code == 0
    assert out.index("affected models") < out.index("7 applications load an affected model")
    assert "7 applications load an affected model, 6 exposed" in out
    assert "pinned-before" in out and "github.com/peat/mapped" in out
    assert "a/lora: an adapter: its pin does not pin the base model" in err


def test_an_empty_answer_is_said_once(db: Path) -> None:
    code, out, _ = run("blast-radius", "x/other", "--db", str(db), "-f", "json")
    assert code == 0 and json.loads(out)["applications_count"] == 1
    code, out, _ = run("blast-radius", "meta/base", "--db", str(db), "--limit", "3")
    assert code == 0 and "first 3 of 8 references" in out
    code, out, _ = run("blast-radius", "org/ft2", "--db", str(db))
    assert "1 application loads an affected model, 1 exposed" in out
    code, out, _ = run("blast-radius", "solo/model", "--db", str(db))
    assert out.count("no application in the knowledge base loads an affected model") == 1
    assert "applications (" not in out
