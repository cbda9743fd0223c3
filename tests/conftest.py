"""Shared fixtures: a fresh store of every backend, the sample snapshot, the shared data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore
from mlsc.graph.store import GraphStore

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-hub.jsonl"
SHARED_DATA = REPO.parent / "shared" / "data"

BACKENDS = ["ladybug", "neo4j"]
REQUIRE_BROWSER = "MLSC_REQUIRE_BROWSER"
"""Set by .ci/run: the browser tests must run there, so a missing browser fails them."""


def browser_unavailable(reason: str) -> NoReturn:
    """Skip a browser test for REASON, or fail it when ``MLSC_REQUIRE_BROWSER`` is set (as
    ``MLSC_REQUIRE_NEO4J`` does for the Neo4j tests)."""
    if os.environ.get(REQUIRE_BROWSER, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_BROWSER} is set, but {reason}", pytrace=False)
    pytest.skip(reason)


NEO4J_ENV = REPO / ".neo4j-dev.env"


def neo4j_settings() -> Neo4jSettings | None:
    """The Neo4j to test against: NEO4J_URI from the environment, else `make neo4j-up`'s."""
    if os.environ.get("NEO4J_URI"):
        return Neo4jSettings.from_env()
    if NEO4J_ENV.is_file():
        values = dict(
            line.split("=", 1) for line in NEO4J_ENV.read_text().splitlines() if "=" in line
        )
        return Neo4jSettings(
            uri=values["NEO4J_URI"],
            user=values.get("NEO4J_USERNAME", "neo4j"),
            password=values.get("NEO4J_PASSWORD", ""),
            database=values.get("NEO4J_DATABASE", "neo4j"),
        )
    if os.environ.get("MLSC_REQUIRE_NEO4J"):
        raise RuntimeError("MLSC_REQUIRE_NEO4J is set but no Neo4j settings were found")
    return None


def wipe(settings: Neo4jSettings) -> None:
    """Empty the test database (the community edition has just one)."""
    from neo4j import GraphDatabase

    with GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=settings.database)


@pytest.fixture(params=BACKENDS)
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], GraphStore]]:
    """A factory of fresh, empty stores of one backend (the contract runs on each)."""
    opened: list[GraphStore] = []

    def make() -> GraphStore:
        if request.param == "ladybug":
            store: GraphStore = LadybugStore(tmp_path / f"kb{len(opened)}")
        elif request.param == "neo4j":
            settings = neo4j_settings()
            if settings is None:
                pytest.skip("Neo4j not running: `make neo4j-up` starts one (needs java, mvn)")
            if opened:
                pytest.skip("Neo4j community edition has one database: no second store")
            wipe(settings)
            store = Neo4jStore(settings)
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
