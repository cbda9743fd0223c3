"""`top` on the embedded store's numbered scans equals `top` on the generic ones every store
has (what Neo4j uses), and the old per-model answer on the sample snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import top_actors, top_models
from tests.conftest import SAMPLE


def test_generic_numbering_gives_the_same_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LadybugStore(tmp_path / "kb") as store:
        ingest_snapshot(store, SAMPLE)
        native = (top_models(store, 50), top_actors(store, 50))
        monkeypatch.setattr(LadybugStore, "edge_numbers", GraphStore.edge_numbers)
        monkeypatch.setattr(LadybugStore, "node_keys", GraphStore.node_keys)
        generic = (top_models(store, 50), top_actors(store, 50))
    assert native == generic
    assert native[0][0].id == "meta-llama/Llama-3.1-8B" and native[0][0].reach == 162
    assert [r.reach for r in native[1]] == sorted((r.reach for r in native[1]), reverse=True)
