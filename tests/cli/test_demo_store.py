"""An empty default knowledge base names the one `make demo` built, when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from tests.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture
def in_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding demo-out/kb (a real knowledge base), as the current directory, and
    an empty user data directory for the default store."""
    demo = tmp_path / "checkout" / "demo-out" / "kb"
    with LadybugStore(demo) as store:
        ingest_snapshot(store, SAMPLE)
    monkeypatch.chdir(tmp_path / "checkout")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLSC_DB", raising=False)
    monkeypatch.delenv("MLSC_BACKEND", raising=False)
    return demo


def test_the_empty_default_store_names_the_demo_store(in_a_checkout: Path) -> None:
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1
    assert "/data/mlsc/kb is empty" in result.stderr
    assert f"`export MLSC_DB={in_a_checkout}`" in result.stderr
    assert "Ingest something first" not in result.stderr
    # ... and what it says works
    assert runner.invoke(app, ["stats"], env={"MLSC_DB": str(in_a_checkout)}).exit_code == 0


def test_an_empty_default_store_that_exists_names_it_too(in_a_checkout: Path) -> None:
    """The default store was created (by a run that wrote nothing) but holds no model."""
    LadybugStore(Path.cwd().parent / "data" / "mlsc" / "kb").close()
    result = runner.invoke(app, ["blast-radius", "meta-llama/Llama-3.1-8B"])
    assert result.exit_code == 1
    assert f"`export MLSC_DB={in_a_checkout}`" in result.stderr


@pytest.mark.parametrize("how", ["--db", "MLSC_DB"])
def test_a_store_the_user_chose_keeps_the_plain_hint(
    in_a_checkout: Path, tmp_path: Path, how: str
) -> None:
    empty = tmp_path / "chosen"
    args, env = (
        (["stats", "--db", str(empty)], {}) if how == "--db" else (["stats"], {how: str(empty)})
    )
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 1
    assert f"the knowledge base at {empty} is empty" in result.stderr
    assert "Ingest something first" in result.stderr and "MLSC_DB=" not in result.stderr
