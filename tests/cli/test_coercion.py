"""Values are converted without pydantic, exactly as typer's pydantic adapters convert them:
same value, or the same message, for every parameter of every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperOption, build_runtime_param

from mlsc.cli.coercion import Coercion, coercion
from tests.cli.test_conventions import COMMANDS

VALUES: list[Any] = ["12", " 3 ", "1_000", "+3", "-0", "0", "1.0", "1.5", "1e3", "0x10", "inf"]
VALUES += ["nan", "", "abc", "٣", "64", "65", "0.001", "0.0005", "table", "json", "sarif"]
VALUES += ["JSON", "xml", "ladybug", "neo4j", "physics", "yes", "off", "2", "/tmp", "a/b", None]
"""What a command line or the environment may give (strings), and nothing; each parameter's
default is tried too."""

PARAMS = [
    (" ".join(path) or "mlsc", param)
    for path, command in COMMANDS
    for param in command.get_params(typer.Context(command))
    if isinstance(param, (TyperOption, TyperArgument))
]


def _outcome(convert: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    many = param.multiple or param.nargs == -1
    if many and value is not None:
        value = (value,)
    try:
        return "value", convert.coerce(value, param=param, ctx=ctx)
    except typer.BadParameter as exc:
        return "error", exc.message


@pytest.mark.parametrize(("command", "param"), PARAMS, ids=lambda p: getattr(p, "name", p))
def test_every_parameter_converts_as_typer_would(command: str, param: Any) -> None:
    ours = coercion(param)
    assert isinstance(ours, Coercion), f"{command} {param.name} would be left to pydantic"
    theirs = build_runtime_param(param.type_descriptor)
    ctx = typer.Context(dict(COMMANDS)[tuple(command.split()) if command != "mlsc" else ()])
    for value in [*VALUES, param.default]:
        expected = _outcome(theirs, value, param, ctx)
        got = _outcome(ours, value, param, ctx)
        assert got == expected, (command, param.name, value)
        assert type(got[1]) is type(expected[1]), (command, param.name, value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_path_is_refused_as_typer_refuses_it(tmp_path: Path) -> None:
    command = dict(COMMANDS)[("stats",)]
    db = next(p for p in command.params if p.name == "db")
    ctx = typer.Context(command)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        got = _outcome(coercion(db), str(locked), db, ctx)
        assert got == _outcome(build_runtime_param(db.type_descriptor), str(locked), db, ctx)
        assert got[0] == "error"
    finally:
        locked.chmod(0o700)


def test_a_command_runs_without_importing_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from mlsc.cli.app import app\n"
        "try:\n"
        f"    app(['top', 'models', '-n', '3', '--db', {str(tmp_path / 'none')!r}, '-f', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
