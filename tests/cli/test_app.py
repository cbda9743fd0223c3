"""The one error boundary: a library error is its message and hint on stderr and exit 1,
from every command, in-process and from the installed script; MLSC_DEBUG=1 adds the traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app, main

runner = CliRunner()
EMPTY = "error: the knowledge base at {} is empty\nIngest something first"


@pytest.mark.parametrize(
    "args",
    [
        ("lineage", "x/y"),
        ("blast-radius", "x/y"),
        ("reach", "someone"),
        ("top", "models"),
        ("report", "scorecard", "x/y"),
        ("export", "cyclonedx", "x/y"),
    ],
)
def test_every_group_reports_a_library_error_once(args: tuple[str, ...], tmp_path: Path) -> None:
    db = tmp_path / "never"
    result = runner.invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("error: ") == 1
    assert "Traceback" not in result.stderr


def test_mlsc_debug_adds_the_traceback_above_the_message(tmp_path: Path) -> None:
    args = ["blast-radius", "x/y", "--db", str(tmp_path / "never")]
    for value in ("", "0"):
        quiet = runner.invoke(app, args, env={"MLSC_DEBUG": value})
        assert quiet.exit_code == 1 and "Traceback" not in quiet.stderr
    loud = runner.invoke(app, args, env={"MLSC_DEBUG": "1"})
    assert loud.exit_code == 1 and loud.stdout == ""
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert "mlsc.errors.EmptyStoreError: the knowledge base at" in loud.stderr
    assert EMPTY.format(tmp_path / "never") in loud.stderr


def test_the_script_entry_point_has_the_same_boundary(tmp_path: Path) -> None:
    assert callable(main)
    db = tmp_path / "never"
    done = subprocess.run(
        [sys.executable, "-m", "mlsc", "blast-radius", "x/y", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(EMPTY.format(db))


def test_help_stays_instant_no_store_or_query_is_imported() -> None:
    code = "import sys, mlsc.cli.app; print(' '.join(m for m in sys.modules if m[:5] == 'mlsc.'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    layers = {name.split(".")[1] for name in done.stdout.split()}
    assert layers == {"cli", "errors"}  # the renderers come with the commands that use them
    commands = {"query", "scan", "audit", "ingest", "export", "report"}
    assert not commands & {name.split(".")[-1] for name in done.stdout.split()}, done.stdout


HEAVY = ["networkx", "pyvis", "huggingface_hub", "github", "neo4j", "numpy", "pyarrow"]
HEAVY += ["ladybug", "rich", "pydantic", "orjson"]


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    """Process start: importing the CLI loads no graph library, Hub or GitHub client, Neo4j
    driver, array library, terminal renderer or pydantic; commands import what they use."""
    code = "import sys, mlsc.cli.app; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def _modules_of(args: list[str]) -> set[str]:
    """The modules a run of ``mlsc ARGS`` has loaded when it ends (an error ends it too)."""
    code = (
        "import sys\n"
        "from mlsc.cli.app import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_a_command_imports_its_own_module_only(tmp_path: Path) -> None:
    """``mlsc blast-radius`` imports the query commands, not ingestion, scanning or audit,
    nor the libraries only they use; ``--version`` and ``-h`` import no command at all."""
    db = str(tmp_path / "never")
    loaded = _modules_of(["blast-radius", "x/y", "--db", db, "-f", "json"])
    assert "mlsc.cli.query" in loaded
    others = {f"mlsc.cli.{name}" for name in ("scan", "audit", "ingest", "export", "report")}
    assert not loaded & others, sorted(loaded & others)
    assert not {m for m in loaded if m.split(".")[:2] in (["mlsc", "ingest"], ["mlsc", "scan"])}
    tops = {name.split(".")[0] for name in loaded}
    assert tops.isdisjoint(["networkx", "huggingface_hub", "github", "neo4j", "pydantic"])
    for args in (["--version"], ["-h"], ["blast-radius", "-h"]):
        loaded = _modules_of(args)
        layers = {m.split(".")[1] for m in loaded if m.startswith("mlsc.")}
        assert layers <= {"cli", "errors", "render"}, (args, layers)
        assert (args[0] == "blast-radius") == ("mlsc.cli.query" in loaded), args
        assert not loaded & others, (args, sorted(loaded & others))
    assert "rich" not in {name.split(".")[0] for name in _modules_of(["--version"])}


def _script(args: list[str]) -> subprocess.CompletedProcess[str]:
    """``mlsc ARGS`` through the script's entry point, with an exit handler that says when
    the interpreter's teardown ran."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown', file=sys.stderr))\n"
        f"sys.argv = ['mlsc', *{args!r}]\n"
        "from mlsc.cli.app import main\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_a_read_only_run_ends_without_teardown_and_a_write_with_it(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE

    db = str(tmp_path / "kb")
    wrote = _script(["ingest", "snapshot", str(SAMPLE), "--db", db, "-f", "json"])
    assert wrote.returncode == 0 and wrote.stderr.endswith("teardown\n"), wrote.stderr
    read = _script(["blast-radius", "meta-llama/Llama-3.1-8B", "--db", db, "-f", "json"])
    assert read.returncode == 0 and "teardown" not in read.stderr, read.stderr
    assert read.stdout.endswith("}\n") and '"count":' in read.stdout  # flushed, whole
    failed = _script(["blast-radius", "no/such", "--db", db])
    assert failed.returncode == 1 and failed.stderr.endswith("teardown\n")
    nothing = _script(["--version"])
    assert nothing.returncode == 0 and nothing.stderr == "teardown\n"
