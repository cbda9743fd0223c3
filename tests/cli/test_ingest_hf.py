"""``mlsc ingest hf`` end to end: the CLI in-process, the real huggingface_hub client, the
local Hub replay on a real socket, a fresh embedded knowledge base per test.

What scripts and people rely on: summary lines on stdout and problems on stderr (table), one
JSON document on stdout (``-f json``), ``--errors`` as JSON Lines, exit 1 with a message, the
crawl journal beside the knowledge base, and no token anywhere in the output.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest
from typer.testing import CliRunner

from mlsc.cli.app import app
from mlsc.ingest.hub.options import CrawlOptions
from tests.replay.hf import HubServer, hf_client_env
from tests.replay.hub import Hub, synthetic_hub

runner = CliRunner()

REPORT_KEYS = {
    "endpoint",
    "models",
    "unchanged",
    "placeholders",
    "edges",
    "edges_by_relation",
    "evidence",
    "files",
    "pickle_files",
    "commits",
    "actors",
    "organisations",
    "memberships",
    "datasets",
    "aliases",
    "removed",
    "skipped",
    "skipped_by_reason",
    "warnings_by_reason",
    "requests",
    "requests_per_model",
    "resumed",
    "since",
    "seconds",
    "problems",
}
"""The keys of ``mlsc ingest hf -f json`` (CrawlReport.to_json): a contract with scripts."""
PROBLEM_KEYS = {"line", "record", "reason", "detail", "severity"}


@pytest.fixture(scope="module")
def hub() -> Hub:
    return synthetic_hub(seed=0, wide_children=3)


@pytest.fixture(scope="module")
def module_server(hub: Hub) -> Iterator[HubServer]:
    with HubServer(hub) as srv:
        yield srv


@pytest.fixture
def server(module_server: HubServer, hub: Hub) -> Iterator[HubServer]:
    hub.clear_faults()
    module_server.reset_counts()
    yield module_server
    hub.clear_faults()


@pytest.fixture(autouse=True)
def client_env(tmp_path: Path) -> Iterator[Path]:
    with hf_client_env(tmp_path / "hf"):
        yield tmp_path / "hf"


def ingest_hf(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ingest", "hf", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_table_summary_on_stdout_and_problems_on_stderr(server: HubServer, tmp_path: Path) -> None:
    code, out, err = ingest_hf(
        "--model",
        "alice/acme-7b-chat,nobody/nothing",
        "-m",
        "acme-ai/Acme-7B",
        "--endpoint",
        server.url,
        "--rate",
        "0",
        "--db",
        str(tmp_path / "kb"),
    )
    assert code == 0, err
    lines = out.splitlines()
    assert re.fullmatch(rf"crawled {re.escape(server.url)} in \d+\.\d s", lines[0])
    assert lines[1] == "models 2"
    assert lines[2] == "derivations 1 (finetune 1)"
    assert lines[3] == "evidence card:base_model 1, tag:base_model:finetune 1"
    assert re.fullmatch(r"files \d+ \(pickle-based 0\); commits \d+; datasets 1", lines[4])
    assert lines[5] == "owners looked up 2 (organisations 1, memberships 2)"
    assert lines[6] == "renamed acme-ai/Acme-7B -> acme-ai/acme-7b 1"
    assert lines[7] == "skipped 1 (missing 1)"
    assert lines[8] == f"requests {server.total} ({server.total / 2:.1f} per model)"
    assert len(lines) == 9
    # problems go to stderr, one per line, and never to stdout
    assert "nobody/nothing: skipped: missing: nobody/nothing: not found" in err
    assert "renamed: 'acme-ai/Acme-7B' is now 'acme-ai/acme-7b'" in err
    assert "nobody/nothing" not in out and "not found" not in out and "warning" not in out


def test_json_report_shape(server: HubServer, hub: Hub, tmp_path: Path) -> None:
    code, out, _ = ingest_hf(
        "--model",
        "quantbot/acme-7b-GGUF",
        "--model",
        "judy/broken-card",
        "--endpoint",
        server.url,
        "--rate",
        "0",
        "--db",
        str(tmp_path / "kb"),
        "-f",
        "json",
    )
    assert code == 0
    report = json.loads(out)  # stdout is one JSON document, nothing else
    assert set(report) == REPORT_KEYS
    assert report["endpoint"] == server.url
    assert report["models"] == 2 and report["skipped"] == 0
    assert report["edges"] == 1 and report["edges_by_relation"] == {"quantized": 1}
    assert report["files"] == sum(
        len(hub.model(m).files) for m in ("quantbot/acme-7b-GGUF", "judy/broken-card")
    )
    assert report["warnings_by_reason"] == {"invalid-card": 1}
    assert report["requests"] == server.total
    assert report["requests_per_model"] == round(server.total / 2, 2)
    assert report["aliases"] == {} and report["removed"] == [] and report["since"] is None
    (problem,) = report["problems"]
    assert set(problem) == PROBLEM_KEYS
    assert problem["record"] == "judy/broken-card" and problem["reason"] == "invalid-card"


def test_errors_file_has_every_problem(server: HubServer, tmp_path: Path) -> None:
    errors = tmp_path / "problems.jsonl"
    code, out, _ = ingest_hf(
        "-m",
        "nobody/nothing,alice/private-experiment,judy/broken-card,alice/acme-7b-chat",
        "--endpoint",
        server.url,
        "--rate",
        "0",
        "--db",
        str(tmp_path / "kb"),
        "-f",
        "json",
        "--errors",
        str(errors),
    )
    assert code == 0
    report = json.loads(out)
    rows = [json.loads(line) for line in errors.read_text().splitlines()]
    assert rows == report["problems"] and len(rows) == 4
    assert all(set(r) == PROBLEM_KEYS for r in rows)
    assert sorted((r["record"], r["severity"], r["reason"]) for r in rows) == [
        ("alice/acme-7b-chat", "warning", "card-tag-disagree"),
        ("alice/private-experiment", "skipped", "missing"),
        ("judy/broken-card", "warning", "invalid-card"),
        ("nobody/nothing", "skipped", "missing"),
    ]


def test_journal_beside_the_knowledge_base_and_since_last(
    server: HubServer, tmp_path: Path
) -> None:
    db = tmp_path / "kb"
    common = ["--author", "quantbot", "--endpoint", server.url, "--rate", "0", "--db", str(db)]
    code, _, err = ingest_hf(*common)
    assert code == 0, err
    plan = CrawlOptions(authors=("quantbot",), endpoint=server.url).plan_key()
    journal = db / "crawls" / f"hf-{plan}.json"
    # beside it, the blob cache: every file read (here the three cards), by git blob id
    assert sorted(p.name for p in (db / "crawls").iterdir()) == sorted([journal.name, "hf-blobs"])
    kept = [p for p in (db / "crawls" / "hf-blobs").rglob("*") if p.is_file()]
    assert len(kept) == server.requests["resolve"] == 3
    state = json.loads(journal.read_text())
    assert state["done"] == [] and state["pending"] == [] and state["last_complete"]
    server.reset_counts()
    code, out, _ = ingest_hf(*common, "--since", "last", "-f", "json")
    assert code == 0
    report = json.loads(out)
    assert report["since"] == state["last_complete"]
    assert report["models"] == 0 and report["unchanged"] == 3
    assert server.requests["model_info"] == 0


def test_endpoint_from_hf_endpoint(server: HubServer, tmp_path: Path) -> None:
    code, out, _ = ingest_hf(
        "-m",
        "alice/acme-7b-chat",
        "--rate",
        "0",
        "--db",
        str(tmp_path / "kb"),
        "-f",
        "json",
        env={"HF_ENDPOINT": server.url},
    )
    assert code == 0
    assert json.loads(out)["endpoint"] == server.url and server.requests["model_info"] == 1


def test_token_from_hf_token_is_sent_and_never_printed(server: HubServer, tmp_path: Path) -> None:
    token = "hf_SECRETSECRETSECRETSECRET0123456789"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", False)
        for fmt in ("table", "json"):
            code, out, err = ingest_hf(
                "-m",
                "alice/acme-7b-chat,nobody/nothing",
                "--endpoint",
                server.url,
                "--rate",
                "0",
                "--db",
                str(tmp_path / f"kb-{fmt}"),
                "-f",
                fmt,
                env={"HF_TOKEN": token},
            )
            assert code == 0
            assert token not in out and token not in err and "SECRET" not in out + err
    assert {r.header("authorization") for r in server.log} == {f"Bearer {token}"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: nothing to crawl"),
        (["--model", "not/a/model"], "error: 'not/a/model' is not a Hugging Face model id"),
        (["--model", "bad id"], "error: 'bad id' is not a Hugging Face model id"),
        (["--since", "someday", "-m", "alice/acme-7b-chat"], "error: --since 'someday' is not"),
    ],
)
def test_bad_arguments_exit_1_with_a_message(
    server: HubServer, tmp_path: Path, args: list[str], message: str
) -> None:
    code, out, err = ingest_hf(*args, "--endpoint", server.url, "--db", str(tmp_path / "kb"))
    assert code == 1
    assert out == ""
    assert err.startswith(message)
    assert server.total == 0  # refused before asking the Hub anything


def test_unreachable_endpoint_exits_1_naming_it(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    code, out, err = ingest_hf(
        "-m",
        "alice/acme-7b-chat",
        "--endpoint",
        endpoint,
        "--retries",
        "0",
        "--db",
        str(tmp_path / "kb"),
    )
    assert code == 1 and out == ""
    assert err.startswith(f"error: the Hub at {endpoint} does not answer (ConnectError)")
    assert "HF_ENDPOINT or --endpoint" in err
