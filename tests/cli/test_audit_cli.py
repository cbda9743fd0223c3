"""``mlsc audit`` end to end: a small application written in tmp, read by the real code
reader, audited against a real embedded knowledge base (and, with ``--refresh``, the local
Hub replay on a real socket). The JSON shape, SARIF, exit codes and --fix-pins are contracts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.graph.ladybug import LadybugStore
from tests.queries.test_audit import SHA, knowledge_base
from tests.render.test_sarif import validator  # noqa: F401  (the OASIS schema fixture)
from tests.replay.hf import HubServer, hf_client_env
from tests.replay.hub import synthetic_hub

runner = CliRunner()

SERVE = f'''"""Serve the fine-tune."""
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "acme/llama-ft"

tokenizer = AutoTokenizer.from_pretrained("goodco/child", revision="{SHA}")
model = AutoModelForCausalLM.from_pretrained(MODEL, revision="v1.0")
'''
CLEAN = f'''from transformers import AutoModel

model = AutoModel.from_pretrained("meta-llama/Llama-3.1-8B-Instruct", revision="{SHA}")
'''


@pytest.fixture
def kb(tmp_path: Path) -> str:
    with LadybugStore(tmp_path / "kb") as store:
        store.write(knowledge_base())
    return str(tmp_path / "kb")


@pytest.fixture
def application(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "serve.py").write_text(SERVE)
    (root / "broken.py").write_text("def broken(:\n")
    return root


def audit(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_contract_and_exit_codes(application: Path, kb: str) -> None:
    code, out, err = audit(str(application), "--db", kb, "-f", "json")
    assert code == 3, err  # medium and worse fail by default
    data = json.loads(out)
    assert {"path", "references", "by_severity", "models", "unpinned"} <= set(data)
    assert [(r["file"], r["line"], r["model"], r["revision_kind"], r["pinned"], r["known"])
            for r in data["references"]] == [
        ("svc/serve.py", 6, "goodco/child", "commit", True, True),
        ("svc/serve.py", 7, "acme/llama-ft", "tag", False, True),
    ]  # fmt: skip
    child, ft = data["references"]
    assert [(f["kind"], f["severity"], f["via"]) for f in child["findings"]] == [
        ("scan-verdict", "critical", "evilcorp/base")
    ]
    assert [f["kind"] for f in ft["findings"]] == [
        "license-conflict", "unpinned", "gated", "unsigned-commits", "unverified-owner"]  # fmt: skip
    assert data["by_severity"] == {"critical": 1, "high": 0, "medium": 2, "low": 3}
    assert data["models"] == 2 and data["unpinned"] == 1
    assert [s["file"] for s in data["skipped"]] == ["broken.py"]
    for level, expected in (("critical", 3), ("high", 3), ("low", 3), ("none", 0)):
        assert audit(str(application), "--db", kb, "--fail-on", level)[0] == expected
    (application / "svc" / "serve.py").write_text(CLEAN)
    code, out, err = audit(str(application), "--db", kb)
    assert code == 0, out + err  # only a gated model and its gated base (low) remain
    assert "1 reference in 1 file: 0 unpinned; critical 0, high 0, medium 0, low 2" in out
    assert "skipped broken.py" in err
    assert audit(str(application), "--db", kb, "--fail-on", "low")[0] == 3
    assert audit(str(application), "--db", kb, "--fail-on", "sometimes")[0] == 1
    code, _, err = audit(str(application / "nope"), "--db", kb)
    assert code == 1 and "does not exist" in err


def test_sarif_validates(
    application: Path,
    kb: str,
    validator: jsonschema.Draft4Validator,  # noqa: F811
) -> None:
    code, out, _ = audit(str(application), "--db", kb, "-f", "sarif")
    assert code == 3
    log = json.loads(out)
    assert list(validator.iter_errors(log)) == []
    locations = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in log["runs"][0]["results"]
    ]  # fmt: skip
    assert ("MLSCA010", "svc/serve.py", 6) in locations
    assert ("MLSCA001", "svc/serve.py", 7) in locations


def test_fix_pins(application: Path, kb: str) -> None:
    code, out, _ = audit(str(application), "--db", kb, "--fix-pins", "--fail-on", "none")
    assert code == 0
    assert f"svc/serve.py:7 acme/llama-ft -> revision {'2' * 40}" in out
    data = json.loads(audit(str(application), "--db", kb, "--fix-pins", "-f", "json")[1])
    assert [(p["line"], p["revision"]) for p in data["fix_pins"]] == [(7, "2" * 40)]
    assert "fix_pins" not in json.loads(audit(str(application), "--db", kb, "-f", "json")[1])


def test_empty_knowledge_base_lists_references_and_says_so(
    application: Path, tmp_path: Path
) -> None:
    code, out, err = audit(str(application), "--db", str(tmp_path / "empty"), "-f", "json")
    assert code == 3
    data = json.loads(out)
    assert data["knowledge_base_empty"] is True
    assert [r["model"] for r in data["references"]] == ["goodco/child", "acme/llama-ft"]
    assert all(r["known"] is False for r in data["references"])
    assert "knowledge base is empty" in err


@pytest.fixture(scope="module")
def hub_server() -> Iterator[HubServer]:
    with HubServer(synthetic_hub(seed=0, wide_children=3)) as server:
        yield server


def test_refresh_crawls_the_referenced_models_and_their_ancestors(
    hub_server: HubServer, tmp_path: Path
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "chat.py").write_text(
        "from transformers import pipeline\n\n"
        'chat = pipeline("text-generation", model="alice/acme-7b-chat")\n'
        'base = pipeline("text-generation", model="acme-ai/Acme-7B")\n'
    )
    db = str(tmp_path / "kb")
    with hf_client_env(tmp_path / "hf"):
        code, out, err = audit(str(root), "--db", db, "--refresh", "--endpoint", hub_server.url,
                               "-f", "json")  # fmt: skip
    assert code == 3, err
    data = json.loads(out)
    assert data["refresh"]["reachable"] is True and data["refresh"]["models"] >= 2
    chat, base = data["references"]
    assert chat["model"] == "alice/acme-7b-chat" and chat["known"] is True
    assert base["current"] == "acme-ai/acme-7b"
    assert ("renamed", "high") in [(f["kind"], f["severity"]) for f in base["findings"]]


def test_refresh_goes_on_when_the_hub_is_unreachable(
    application: Path, kb: str, tmp_path: Path
) -> None:
    with hf_client_env(tmp_path / "hf"):
        code, out, err = audit(str(application), "--db", kb, "--refresh", "--endpoint",
                               "http://127.0.0.1:9", "-f", "json")  # fmt: skip
    assert code == 3
    data = json.loads(out)
    assert data["refresh"]["reachable"] is False
    assert "auditing on what the knowledge base holds" in err
    assert len(data["references"]) == 2
