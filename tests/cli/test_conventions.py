"""Conventions users expect of a command line: --version, -h, help that shows choices and
defaults and no stray tokens, and global options before or after the command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.cli.options import GLOBAL, connection
from tests.conftest import SAMPLE

runner = CliRunner()


def _commands() -> Iterator[tuple[tuple[str, ...], typer.core.TyperCommand]]:
    """Every command and group of the app, with the words that reach it."""
    root = typer.main.get_command(app)

    def walk(path: tuple[str, ...], command: object) -> Iterator[tuple[tuple[str, ...], object]]:
        yield path, command
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                yield from walk((*path, name), sub)

    yield from walk((), root)  # type: ignore[misc]


COMMANDS = list(_commands())


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conv") / "kb"
    result = runner.invoke(app, ["ingest", "snapshot", str(SAMPLE), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_version_names_the_package_python_and_the_store_libraries() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    line = result.stdout.strip()
    assert line.startswith(f"mlsc {version('mlsc')} (Python 3.")
    assert f"ladybug {version('ladybug')}" in line and f"neo4j driver {version('neo4j')}" in line


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "",
        "blast-radius",
        "lineage",
        "reach",
        "ingest snapshot",
        "top models",
        "audit",
    } <= names
    assert len(names) > 20


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "mlsc")
def test_help_shows_choices_and_defaults_and_no_stray_tokens(path: tuple[str, ...]) -> None:
    command = dict(COMMANDS)[path]
    short, long = runner.invoke(app, [*path, "-h"]), runner.invoke(app, [*path, "--help"])
    assert short.exit_code == 0 and long.exit_code == 0, short.output
    assert short.stdout == long.stdout
    text = short.stdout
    flat = " ".join(text.split())
    assert "<bool>" not in text
    assert "{" not in text and "}" not in text, text
    assert not re.search(r"\s\.(\s|$)", text), text
    assert "(table)" not in text and "[default: ()]" not in text
    for param in command.params:  # type: ignore[attr-defined]
        if isinstance(param, TyperArgument):
            assert (param.name or "").upper() in text.splitlines()[0]
            continue
        assert isinstance(param, TyperOption)
        if param.hidden or param.is_flag or param.name == "help":
            continue
        described = param.type_descriptor
        if described.is_choice:
            choices = [getattr(c, "value", c) for c in described.choices or ()]
            assert "|".join(choices) in flat, (param.name, flat)
        default = param.default
        if default is not None and param.show_default is not False:
            value = getattr(default, "value", default)
            assert f"default: {value}" in flat, (param.name, flat)
        elif default is None and param.name in ("db", "backend", "fmt", "format_"):
            assert "default:" in (param.help or ""), param.name


def test_global_options_before_and_after_the_command(db: Path, tmp_path: Path) -> None:
    for args in (
        ["--db", str(db), "--format", "json", "stats"],
        ["stats", "--db", str(db), "--format", "json"],
        ["-f", "json", "stats", "--db", str(db)],
        ["--db", str(db), "stats", "-f", "json"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert json.loads(result.stdout)["location"] == str(db)


def test_the_option_nearest_the_command_wins_then_the_root_then_the_environment(
    db: Path, tmp_path: Path
) -> None:
    other = str(tmp_path / "other")
    nearest = runner.invoke(
        app, ["--db", other, "-f", "table", "stats", "--db", str(db), "-f", "json"]
    )
    assert json.loads(nearest.stdout)["location"] == str(db)
    root = runner.invoke(app, ["--db", str(db), "stats", "-f", "json"], env={"MLSC_DB": other})
    assert json.loads(root.stdout)["location"] == str(db)
    env = runner.invoke(app, ["stats", "-f", "json"], env={"MLSC_DB": str(db)})
    assert json.loads(env.stdout)["location"] == str(db)


@pytest.mark.parametrize("after", [False, True])
def test_backend_and_neo4j_uri_before_and_after(after: bool) -> None:
    options = ["--backend", "neo4j", "--neo4j-uri", "bolt://127.0.0.1:9", "--neo4j-database", "x"]
    args = ["stats", *options] if after else [*options, "stats"]
    result = runner.invoke(app, args, env={"NEO4J_PASSWORD": "unused", "NEO4J_URI": "bolt://h:1"})
    assert result.exit_code == 1
    assert "Neo4j at bolt://127.0.0.1:9 is not reachable" in result.stderr


def test_connection_prefers_the_command_then_the_root() -> None:
    saved = (GLOBAL.db, GLOBAL.backend, GLOBAL.neo4j)
    try:
        GLOBAL.db, GLOBAL.backend = Path("/root-db"), "neo4j"
        GLOBAL.neo4j = {"uri": "bolt://root:7687", "user": None, "database": "rootdb"}
        assert connection(None, None, None, None) == (
            Path("/root-db"),
            "neo4j",
            {"uri": "bolt://root:7687", "user": None, "database": "rootdb"},
        )
        assert connection(Path("/cmd"), "ladybug", "bolt://cmd:1", "cmddb") == (
            Path("/cmd"),
            "ladybug",
            {"uri": "bolt://cmd:1", "user": None, "database": "cmddb"},
        )
    finally:
        GLOBAL.db, GLOBAL.backend, GLOBAL.neo4j = saved


def test_root_options_do_not_leak_into_the_next_run(db: Path) -> None:
    runner.invoke(app, ["--db", "/nowhere", "-f", "json", "stats"])
    result = runner.invoke(app, ["stats", "--db", str(db)])
    assert result.exit_code == 0 and result.stdout.startswith("knowledge base at")


def test_cypher_names_a_missing_parameter_before_sending_the_query(db: Path) -> None:
    query = "MATCH (m:Model {id: $id}) WHERE m.id <> '$x' RETURN m.id AS id"
    missing = runner.invoke(app, ["cypher", query, "--db", str(db)])
    assert missing.exit_code == 1 and missing.stdout == ""
    assert missing.stderr.startswith("error: the query uses $id but no value was given for it\n")
    given = runner.invoke(app, ["cypher", query, "-p", "id=tidepool/Onyx-8B-v2", "--db", str(db)])
    assert given.exit_code == 0 and "tidepool/Onyx-8B-v2" in given.stdout


def test_reach_adds_up_with_the_overlap(db: Path) -> None:
    data = json.loads(
        runner.invoke(app, ["reach", "meta-llama", "--db", str(db), "-f", "json"]).stdout
    )
    assert data["direct"] + data["transitive"] - data["overlap"] == data["total"]
    assert data["overlap"] > 0  # the sample has an owned model downstream of another
    table = runner.invoke(app, ["reach", "meta-llama", "--db", str(db)]).stdout
    line = (
        f"{data['direct']} direct + {data['transitive']} transitive - {data['overlap']} both "
        f"= {data['total']} ({data['overlap']} owned and also downstream, counted once)"
    )
    assert line in table
    plain = runner.invoke(app, ["reach", "tidepool", "--db", str(db)]).stdout
    assert "3 direct + 1 transitive = 4\n" in plain


def _keys(value: object) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def _headers(table: str) -> list[set[str]]:
    """The column names of each table a command printed (rich's heavy header row)."""
    return [
        {cell.strip() for cell in line.strip("┃").split("┃")}
        for line in table.splitlines()
        if line.startswith("┃")
    ]


MAPPINGS = {"kind", "count", "models", "relation", "depth"}
"""Headers of tables drawn from a JSON mapping (stats; blast radius by depth, by relation)."""


@pytest.mark.parametrize(
    "args",
    [
        ("lineage", "meta-llama/Llama-3.1-8B-Instruct"),
        ("blast-radius", "meta-llama/Llama-3.1-8B"),
        ("blast-radius", "meta-llama", "--actor"),
        ("reach", "meta-llama"),
        ("top", "models"),
        ("top", "actors"),
        ("report", "practices"),
        ("report", "discrepancies"),
    ],
)
def test_table_columns_are_json_keys(db: Path, args: tuple[str, ...]) -> None:
    table = runner.invoke(app, [*args, "--db", str(db)])
    data = runner.invoke(app, [*args, "--db", str(db), "-f", "json"])
    assert table.exit_code == data.exit_code == 0, table.output
    headers = _headers(table.stdout)
    assert headers, table.stdout
    keys = _keys(json.loads(data.stdout))
    for header in headers:
        if header <= MAPPINGS and args[0] == "blast-radius" and len(header) == 2:
            continue  # by depth / by relation: JSON maps each to its count
        assert header <= keys, (header - keys, sorted(keys))


def test_stats_json_is_the_mapping_its_table_lists(db: Path) -> None:
    table = runner.invoke(app, ["stats", "--db", str(db)]).stdout
    data = json.loads(runner.invoke(app, ["stats", "--db", str(db), "-f", "json"]).stdout)
    assert _headers(table) == [{"kind", "count"}]
    assert f"│ Model              │ {data['Model']:>5} │" in table


def test_no_empty_tables_but_no_results_and_why(db: Path) -> None:
    leaf = runner.invoke(app, ["lineage", "tidepool/Onyx-8B-v2", "--db", str(db)])
    assert leaf.exit_code == 0
    assert (
        "no results: no model derives from tidepool/Onyx-8B-v2: it has no descendants in the "
        "knowledge base\n"
    ) in leaf.stdout
    assert len(_headers(leaf.stdout)) == 1  # the ancestors, and no empty descendants table
    data = json.loads(
        runner.invoke(app, ["lineage", "tidepool/Onyx-8B-v2", "--db", str(db), "-f", "json"]).stdout
    )
    assert data["descendants"] == []
    nothing = runner.invoke(
        app, ["cypher", "MATCH (m:Model {id: 'no/such'}) RETURN m.id", "--db", str(db)]
    )
    assert nothing.stdout == "no results: the query returned no rows\n"
    signing = runner.invoke(app, ["report", "signing", "--db", str(db)])
    assert signing.stdout.startswith("no results: repositories: no commits yet")
    assert "┃" not in signing.stdout


def test_top_with_no_derivations_says_so(tmp_path: Path) -> None:
    source = tmp_path / "flat.jsonl"
    source.write_text('{"id": "acme/one"}\n{"id": "acme/two"}\n')
    db = tmp_path / "kb"
    assert runner.invoke(app, ["ingest", "snapshot", str(source), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["top", "models", "--db", str(db)])
    assert result.exit_code == 0
    assert result.stdout == "no results: top models: the knowledge base has no derivations\n"
    assert (
        json.loads(runner.invoke(app, ["top", "models", "--db", str(db), "-f", "json"]).stdout)
        == []
    )


STORE_OPTIONS = {"--db", "--backend", "--neo4j-uri", "--neo4j-database"}
WITHOUT_BACKEND = {("copy",)}
"""``copy`` names its backends with --to."""


def test_every_command_that_opens_a_store_takes_the_store_options() -> None:
    """One declaration (``uses_store``) gives them all the same options with the same help."""
    helps: dict[str, set[str | None]] = {}
    users = 0
    for path, command in COMMANDS:
        opts = {o: p for p in command.params for o in getattr(p, "opts", ())}
        if "--db" not in opts or not path:
            continue
        users += 1
        wanted = STORE_OPTIONS - ({"--backend"} if path in WITHOUT_BACKEND else set())
        assert wanted <= set(opts), (path, wanted - set(opts))
        for name in wanted | {"--format"}:
            if name in opts:
                helps.setdefault(name, set()).add(opts[name].help)
    assert users > 20
    assert all(len(texts) == 1 for name, texts in helps.items() if name != "--format"), helps
    assert len(helps["--format"]) == 2  # table|json, and table|json|sarif (scan, audit)


@pytest.mark.parametrize("args", [("stats",), ("top", "models"), ("report", "signing")])
def test_the_backend_comes_from_the_environment_too(args: tuple[str, ...]) -> None:
    env = {"MLSC_BACKEND": "neo4j", "NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "x"}
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 1
    assert "Neo4j at bolt://127.0.0.1:9 is not reachable" in result.stderr


def test_every_command_has_a_short_help_that_fits_80_columns() -> None:
    """``mlsc -h`` and each group's ``-h`` list every command with its whole one-line help
    (never cut with ``...``), in 80 columns; the root's list names what each module declares."""
    from mlsc.cli.commands import COMMANDS as LISTED

    root = dict(COMMANDS)[()]
    assert list(root.commands) == list(LISTED)  # type: ignore[attr-defined]
    for path, command in COMMANDS:
        if path:
            assert command.short_help, path
        if path and path[0] in LISTED and len(path) == 1:
            assert command.short_help == LISTED[path[0]].short_help
        if not isinstance(command, TyperGroup):
            continue
        text = runner.invoke(app, [*path, "-h"], terminal_width=80).stdout
        listing = text[text.index("Commands:") :]
        assert "..." not in listing, listing
        assert max(len(line) for line in text.splitlines()) <= 80, text
        for name, sub in command.commands.items():
            row = rf"^  {re.escape(name)} +{re.escape(sub.short_help)}$"  # one line, whole
            assert re.search(row, listing, re.MULTILINE), (name, listing)
