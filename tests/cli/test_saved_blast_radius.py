"""`mlsc blast-radius MODEL` from the lineage index saved beside the embedded store, without
opening the store: used only while it is current (a write in between, through mlsc or not,
and the next query reads the store), and its output is the store's to the byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlsc.cli.query
import mlsc.graph
from mlsc.cli.app import app
from mlsc.graph import embedded_dir, index_cache
from mlsc.graph.ladybug import LadybugStore
from mlsc.queries import blast_radius
from mlsc.queries.saved import saved_blast_radius
from tests.graph.builders import DIAMOND, lineage_batch
from tests.queries.applications_graph import applications_batch

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

WRITE = """
import sys
from mlsc.graph.ladybug import LadybugStore
from tests.graph.builders import lineage_batch
with LadybugStore(sys.argv[1]) as store:
    store.write(lineage_batch([(sys.argv[2], sys.argv[3], "finetune")]))
"""

RAW_WRITE = """
import sys, ladybug
db = ladybug.Database(sys.argv[1] + "/graph.lbug")
conn = ladybug.Connection(db)
conn.execute("CREATE (m:Model {id: $c})", {"c": sys.argv[2]})
conn.execute(
    "MATCH (c:Model {id: $c}), (p:Model {id: $p}) CREATE (c)-[:DERIVED_FROM {relation: 'merge'}]->(p)",
    {"c": sys.argv[2], "p": sys.argv[3]},
)
conn.close()
db.close()
"""


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def process(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )


def query(db: Path, model: str) -> dict[str, object]:
    """`mlsc blast-radius MODEL -f json` in a process of its own, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "mlsc", "blast-radius", model, "--db", str(db), "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def affected(answer: dict[str, object]) -> list[str]:
    rows = answer["affected"]
    assert isinstance(rows, list)
    return sorted(r["id"] for r in rows)


def save_index(db: Path) -> None:
    """What the first query after a write does: a read-only store builds and saves it."""
    with LadybugStore(db, read_only=True) as store:
        store.expand(["o/r"], "down")
    assert index_cache.current(db) is not None


@pytest.fixture
def diamond(tmp_path: Path) -> Path:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
    save_index(tmp_path)
    return tmp_path


def store_output(*args: str) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mlsc.cli.query, "_saved_blast_radius", lambda model: None)
        return cli(*args)


@pytest.mark.parametrize("fmt", ["json", "table"])
@pytest.mark.parametrize("model", ["o/r", "o/a", "p/mm", "q/q", "z/y"])
def test_the_saved_index_answers_as_the_store_does(diamond: Path, model: str, fmt: str) -> None:
    args = ("blast-radius", model, "--db", str(diamond), "-f", fmt)
    expected = store_output(*args)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mlsc.graph, "open_store", _refuse)
        assert cli(*args) == expected
    assert expected[0] == 0


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the store was opened")


def test_every_answer_equals_the_store_s(diamond: Path) -> None:
    models = sorted({m for edge in DIAMOND for m in edge[:2]})
    with LadybugStore(diamond, read_only=True) as store:
        for model in models:
            saved = saved_blast_radius(diamond, model)
            assert saved is not None
            assert saved.to_json() == blast_radius(store, model).to_json()


PROBE = """
import sys
import mlsc.cli.app
mlsc.cli.app._end_now = lambda: None  # to look at the modules once the command is done
sys.argv = ["mlsc", *sys.argv[1:]]
try:
    mlsc.cli.app.main()
except SystemExit:
    pass
loaded = [m for m in ("ladybug", "pyarrow", "numpy.ma") if m in sys.modules]
sys.stderr.write(f"loaded={loaded}")
"""


def test_a_query_process_loads_neither_the_engine_nor_pyarrow(diamond: Path) -> None:
    done = process(PROBE, "blast-radius", "o/r", "--db", str(diamond), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] == 6
    assert "loaded=[]" in done.stderr


def test_a_write_through_mlsc_is_seen_by_the_next_query(diamond: Path) -> None:
    assert "new/child" not in affected(query(diamond, "q/q"))
    assert process(WRITE, str(diamond), "new/child", "q/q").returncode == 0
    assert index_cache.current(diamond) is None  # the saved index is stale at once
    assert affected(query(diamond, "q/q")) == ["new/child", "q/q"]
    assert index_cache.current(diamond) is not None  # that query saved a new one
    assert affected(query(diamond, "q/q")) == ["new/child", "q/q"]


def test_a_write_through_cypher_is_seen_by_the_next_query(diamond: Path) -> None:
    assert affected(query(diamond, "z/x")) == ["z/x"]
    code, _, err = cli(
        "cypher",
        "MATCH (p:Model {id: 'z/x'}) CREATE (:Model {id: 'w/new'})-[:DERIVED_FROM "
        "{relation: 'finetune'}]->(p)",
        "--write",
        "--db",
        str(diamond),
    )
    assert code == 0, err
    assert index_cache.current(diamond) is None
    assert affected(query(diamond, "z/x")) == ["w/new", "z/x"]


def test_a_write_by_another_program_is_seen_by_the_next_query(diamond: Path) -> None:
    """The engine written directly (no write counter bumped): the files' stamps differ."""
    counter = (diamond / index_cache.COUNTER_FILE).read_text()
    done = process(RAW_WRITE, str(diamond), "raw/merge", "q/q")
    assert done.returncode == 0, done.stderr
    assert (diamond / index_cache.COUNTER_FILE).read_text() == counter
    assert index_cache.current(diamond) is None
    assert affected(query(diamond, "q/q")) == ["q/q", "raw/merge"]


def test_a_read_write_open_makes_the_saved_index_stale(diamond: Path) -> None:
    LadybugStore(diamond).close()  # a writer that wrote nothing (yet) counts as one
    assert index_cache.current(diamond) is None


def test_a_model_loaded_by_an_application_is_answered_by_the_store(tmp_path: Path) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(applications_batch())
    with LadybugStore(tmp_path, read_only=True) as store:
        store.expand(["meta/base"], "down")
        expected = {
            m: blast_radius(store, m).to_json() for m in ("meta/base", "z/root", "solo/model")
        }
    assert saved_blast_radius(tmp_path, "meta/base") is None  # applications load it
    assert saved_blast_radius(tmp_path, "z/root") is None  # and z/leaf, downstream of it
    loaded = saved_blast_radius(tmp_path, "solo/model")  # none loads it
    assert loaded is not None and loaded.to_json() == expected["solo/model"]
    for model, answer in expected.items():
        args = ("blast-radius", model, "--db", str(tmp_path), "-f", "json")
        code, out, _ = cli(*args)
        assert code == 0 and json.loads(out) == answer
        assert (code, out) == store_output(*args)[:2]


def test_actors_and_unknown_names_are_answered_by_the_store(diamond: Path) -> None:
    assert saved_blast_radius(diamond, "o") is None
    assert saved_blast_radius(diamond, "no/such") is None
    assert saved_blast_radius(diamond, "o/\udcff") is None  # undecodable argv bytes
    code, out, _ = cli("blast-radius", "o", "--db", str(diamond), "-f", "json")
    assert code == 0 and json.loads(out)["kind"] == "actor"
    code, _, err = cli("blast-radius", "o/rr", "--db", str(diamond))
    assert code == 1 and "o/r" in err


def test_without_a_current_index_the_store_answers(tmp_path: Path) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
    assert saved_blast_radius(tmp_path, "o/r") is None
    code, out, _ = cli("blast-radius", "o/r", "--db", str(tmp_path), "-f", "json")
    assert code == 0 and json.loads(out)["count"] == 6
    assert saved_blast_radius(tmp_path, "o/r") is not None  # that query saved it


def test_the_embedded_directory_follows_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLSC_BACKEND", raising=False)
    assert embedded_dir(tmp_path) == tmp_path
    assert embedded_dir(tmp_path, backend="neo4j") is None
    monkeypatch.setenv("MLSC_BACKEND", "neo4j")
    assert embedded_dir(tmp_path) is None
    assert embedded_dir(tmp_path, backend="ladybug") == tmp_path


@pytest.mark.parametrize(
    "extra", [("--actor",), ("--since", "2026-11-01"), ("--html", "page.html"), ()]
)
def test_options_the_saved_index_cannot_serve_open_the_store(
    diamond: Path, extra: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    real = mlsc.graph.open_store

    def recording(*args: object, **kwargs: object) -> object:
        opened.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.chdir(diamond)
    monkeypatch.setattr(mlsc.graph, "open_store", recording)
    target = "o" if "--actor" in extra else "o/r"
    code, _, err = cli("blast-radius", target, *extra, "--db", str(diamond), "-f", "json")
    assert code == 0, err
    assert len(opened) == (1 if extra else 0)


def test_the_other_backend_never_reads_an_embedded_store_s_index(
    diamond: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("NEO4J_PASSWORD", "x")
    args = ("blast-radius", "o/r", "--db", str(diamond), "-f", "json")
    code, _, err = cli("--backend", "neo4j", *args)
    assert code == 1 and "Neo4j" in err
    code, _, err = cli(*args, "--backend", "neo4j")
    assert code == 1 and "Neo4j" in err
