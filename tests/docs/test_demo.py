"""`make demo` as a newcomer runs it: tools/demo.py builds the demo knowledge base from data in
the repository, ends with the two lines to paste, and every command the README's quickstart
and the demo suggest then works as written, with something in each answer."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tools.demo import FLAGGED_MODEL, NEXT_COMMANDS, UNSIGNED_MODEL

README = REPO / "README.md"

pytestmark = pytest.mark.skipif(
    not (shutil.which("git") and shutil.which("ssh-keygen")), reason="needs git and ssh-keygen"
)


def quickstart_commands() -> list[str]:
    """Each line starting with `mlsc ` in a fenced block of the README's Quickstart, without
    its trailing comment."""
    text = README.read_text(encoding="utf-8")
    section = text[
        text.index("## Quickstart") : text.index("\n## ", text.index("## Quickstart") + 1)
    ]
    commands, fenced = [], False
    for line in section.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("mlsc "):
            commands.append(line.split("  #", 1)[0].strip())
    return commands


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "demo-out"
    env = {k: v for k, v in os.environ.items() if k not in ("MLSC_DB", "MLSC_BACKEND")}
    done = subprocess.run(
        [sys.executable, "tools/demo.py", "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "kb", done.stdout


def mlsc(kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlsc", *args],
        cwd=REPO, env={**os.environ, "MLSC_DB": str(kb)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_demo_ends_with_the_lines_to_paste(demo: tuple[Path, str]) -> None:
    kb, output = demo
    tail = output[output.index("Paste these two lines") :]
    activate = re.search(r"^    source (\S+)$", tail, re.M)
    assert (
        activate
        and Path(
            activate.group(1) if activate.group(1).startswith("/") else REPO / activate.group(1)
        ).is_file()
    )
    assert f"\n    export MLSC_DB={kb.resolve()}\n" in tail
    assert [line.strip() for line in tail.splitlines() if line.startswith("    mlsc ")] == list(
        NEXT_COMMANDS
    )


def test_the_readme_quickstart_is_what_the_demo_suggests() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "source .venv/bin/activate\nexport MLSC_DB=$PWD/demo-out/kb\n" in readme
    assert quickstart_commands() == list(NEXT_COMMANDS)


@pytest.mark.parametrize("command", quickstart_commands())
def test_each_quickstart_command_works_as_written(demo: tuple[Path, str], command: str) -> None:
    done = mlsc(demo[0], *command.split()[1:])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and "no results" not in done.stdout


def test_every_capability_has_something_in_it(demo: tuple[Path, str]) -> None:
    kb, output = demo
    for header in ("== 1.", "== 2.", "== 3.", "== 4.", "== 5.", "== What mlsc answers"):
        assert header in output
    signing = json.loads(mlsc(kb, "report", "signing", "-f", "json").stdout)
    text = json.dumps(signing)
    assert '"meta-llama/Llama-3.1-8B"' in text and UNSIGNED_MODEL in text
    practices = mlsc(kb, "report", "practices").stdout
    assert re.search(r"organisations verified\s*│\s*50\.00%\s*│\s*2\s*│\s*4\s*│", practices), practices
    assert re.search(r"commits signed\s*│[^│]*│\s*3\s*│\s*\d+\s*│", practices), practices
    scorecard = mlsc(kb, "report", "scorecard", UNSIGNED_MODEL).stdout
    assert f"weakest link upstream: {FLAGGED_MODEL} (depth 8)" in scorecard
    blast = json.loads(mlsc(kb, "blast-radius", FLAGGED_MODEL, "-f", "json").stdout)
    assert blast["count"] >= 8 and UNSIGNED_MODEL in json.dumps(blast)
    assert "github.com/demo/chatbot" in json.dumps(blast)  # the app loads a descendant
    bom = (kb.parent / "Evo-8B-g12-GGUF.cdx.json").read_text()
    assert FLAGGED_MODEL in bom and '"critical"' in bom
    audit = mlsc(kb, "audit", "examples/app")
    assert audit.returncode == 3 and "scan-verdict" in audit.stdout
    assert {p.name for p in kb.parent.glob("*.html")} >= {
        "blast-radius.html", "lineage.html", "scorecard.html", "practices.html", "signing.html"
    }  # fmt: skip
