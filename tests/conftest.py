"""Shared fixtures: a fresh store of every backend, the sample snapshot, the shared data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.store import GraphStore

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-hub.jsonl"
SHARED_DATA = REPO.parent / "shared" / "data"

BACKENDS = ["ladybug"]


@pytest.fixture(params=BACKENDS)
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], GraphStore]]:
    """A factory of fresh, empty stores of one backend (the contract runs on each)."""
    opened: list[GraphStore] = []

    def make() -> GraphStore:
        if request.param == "ladybug":
            store: GraphStore = LadybugStore(tmp_path / f"kb{len(opened)}")
        else:  # pragma: no cover - more backends register here
            raise AssertionError(request.param)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], GraphStore]) -> GraphStore:
    return make_store()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"{SHARED_DATA} not found: real-data tests need ../shared/data beside the checkout"
        )
    return SHARED_DATA
