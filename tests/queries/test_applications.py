"""Blast radius into applications: who loads an affected model, and whether each reference
is pinned to a commit from before the compromise; on both stores (the same query code)."""

from __future__ import annotations

import pytest

from mlsc.graph.store import GraphStore
from mlsc.queries import blast_radius
from mlsc.queries.applications import ADAPTER_NOTE
from tests.queries.applications_graph import (
    BASE_NEW,
    BASE_OLD,
    FT_OLD,
    GHOST,
    LORA_OLD,
    SINCE,
    applications_batch,
)


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    store.write(applications_batch())
    return store


def ref(
    mid: str, depth: int, pinned: bool | None, revision: str | None, kind: str | None,
    status: str, file: str | None, line: int | None, note: str | None = None,
) -> dict[str, object]:  # fmt: skip
    return {
        "id": mid, "depth": depth, "pinned": pinned, "revision": revision,
        "revision_kind": kind, "status": status, "note": note, "file": file, "line": line,
    }  # fmt: skip


def test_a_model_with_since_separates_old_pins_from_everything_else(graph: GraphStore) -> None:
    out = blast_radius(graph, "meta/base", since=SINCE).to_json()
    assert out["since"] == "2026-11-01T00:00:00.000Z"
    assert out["applications_count"] == 7 and out["applications_exposed"] == 6
    assert out["applications"] == [
        {"id": "github.com/acme/fresh", "exposed": True, "models": [
            ref("meta/base", 0, True, BASE_NEW, "commit", "pinned", "main.py", 7)]},
        {"id": "github.com/delta/ghost", "exposed": True, "models": [
            ref("meta/base", 0, True, GHOST, "commit", "pinned", "run.py", 9)]},
        {"id": "github.com/beta/tagged", "exposed": True, "models": [
            ref("q/base-gguf", 1, False, "v1.0", "tag", "unpinned", "cfg.yaml", 2)]},
        {"id": "github.com/gamma/lora-app", "exposed": True, "models": [
            ref("a/lora", 1, True, LORA_OLD, "commit", "pinned", "nb.ipynb", 5, ADAPTER_NOTE)]},
        {"id": "github.com/beta/search", "exposed": True, "models": [
            ref("org/ft2", 2, False, None, "none", "unpinned", "index.py", 40)]},
        {"id": "github.com/peat/mapped", "exposed": True, "models": [
            ref("m/merge", 2, None, None, None, "unknown", None, None)]},
        {"id": "github.com/acme/chat", "exposed": False, "models": [
            ref("meta/base", 0, True, BASE_OLD, "commit", "pinned-before", "app.py", 12),
            ref("org/ft1", 1, True, FT_OLD, "commit", "pinned-before", "serve.py", 3)]},
    ]  # fmt: skip
    # z/leaf is not in the blast radius: github.com/other/app is not reached
    assert "github.com/other/app" not in {a["id"] for a in out["applications"]}


def test_without_since_no_pin_is_safe(graph: GraphStore) -> None:
    br = blast_radius(graph, "meta/base")
    assert br.since is None and br.exposed == len(br.applications) == 7
    statuses = {(a.id, m.id): m.status for a in br.applications for m in a.models}
    assert statuses[("github.com/acme/chat", "meta/base")] == "pinned"
    assert statuses[("github.com/acme/chat", "org/ft1")] == "pinned"
    # by the smallest depth, then id
    assert [a.id for a in br.applications] == [
        "github.com/acme/chat", "github.com/acme/fresh", "github.com/delta/ghost",
        "github.com/beta/tagged", "github.com/gamma/lora-app", "github.com/beta/search",
        "github.com/peat/mapped",
    ]  # fmt: skip


def test_since_after_every_pin_and_before_every_pin(graph: GraphStore) -> None:
    late = blast_radius(graph, "meta/base", since="2027-01-01")
    fresh = next(a for a in late.applications if a.id == "github.com/acme/fresh")
    assert fresh.models[0].status == "pinned-before" and not fresh.exposed
    assert late.exposed == 5  # ghost, tagged, lora (adapter), search, mapped
    early = blast_radius(graph, "meta/base", since="2024-01-01")
    assert early.exposed == 7
    assert {m.status for a in early.applications for m in a.models} == {
        "pinned", "unpinned", "unknown"
    }  # fmt: skip


def test_an_actor_reaches_the_applications_of_what_it_owns(graph: GraphStore) -> None:
    out = blast_radius(graph, "org", kind="actor").to_json()
    assert out["seeds"] == ["org/ft1", "org/ft2"]
    assert [(a["id"], a["exposed"], [(m["id"], m["depth"], m["status"]) for m in a["models"]])
            for a in out["applications"]] == [
        ("github.com/acme/chat", True, [("org/ft1", 0, "pinned")]),
        ("github.com/beta/search", True, [("org/ft2", 0, "unpinned")]),
        ("github.com/peat/mapped", True, [("m/merge", 1, "unknown")]),
    ]  # fmt: skip
    assert out["applications_count"] == out["applications_exposed"] == 3


def test_an_actor_since_keeps_its_meaning_and_dates_the_pins(graph: GraphStore) -> None:
    br = blast_radius(graph, "mallory", since=SINCE)
    assert br.seeds == ("meta/base",)  # its commit of 2026-11-20
    chat = next(a for a in br.applications if a.id == "github.com/acme/chat")
    assert not chat.exposed and br.exposed == 6
    assert blast_radius(graph, "mallory", since="2026-12-01").applications == ()


def test_a_commit_target_with_since(graph: GraphStore) -> None:
    by_commit = blast_radius(graph, BASE_NEW, since=SINCE).to_json()
    by_model = blast_radius(graph, "meta/base", since=SINCE).to_json()
    assert by_commit["kind"] == "commit" and by_commit["seeds"] == ["meta/base"]
    assert by_commit["applications"] == by_model["applications"]
    assert by_commit["applications_exposed"] == 6


def test_no_application_uses_an_unrelated_model(graph: GraphStore) -> None:
    out = blast_radius(graph, "x/other").to_json()
    assert [a["id"] for a in out["applications"]] == ["github.com/peat/mapped"]
    nothing = blast_radius(graph, "org/ft2", since=SINCE)
    assert [a.id for a in nothing.applications] == ["github.com/beta/search"]
    assert blast_radius(graph, "z/root").to_json()["applications"] == [
        {"id": "github.com/other/app", "exposed": True, "models": [
            ref("z/leaf", 1, False, None, "none", "unpinned", "x.py", 1)]},
    ]  # fmt: skip
    assert blast_radius(graph, "q/base-gguf", since="2020-01-01").applications[0].exposed
