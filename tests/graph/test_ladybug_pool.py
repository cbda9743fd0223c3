"""The embedded store's bulk writes within its buffer pool (``MLSC_BUFFER_POOL_MB``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from benchmarks.hubgen import write as write_hub
from mlsc.errors import BufferPoolFullError, StoreError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.ladybug.connection import translate
from mlsc.graph.ladybug.staging import COPY_SHARE, NODE_GROUP, POOL_SHARE, slices
from mlsc.ingest.hub.snapshot import ingest_snapshot
from tests.graph.builders import contents


@pytest.mark.slow
def test_70k_models_ingest_with_the_smallest_buffer_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All 70k models in one COPY ran the 64 MiB pool out ("the buffer pool is full")."""
    monkeypatch.setenv("MLSC_BUFFER_POOL_MB", "64")
    stats = write_hub(70_000, tmp_path / "hub.jsonl")
    with LadybugStore(tmp_path / "kb") as store:
        report = ingest_snapshot(store, tmp_path / "hub.jsonl")
        counts = store.counts()
    assert report.ingested == counts["Model"] == 70_000
    assert {k: v for k, v in report.edges.items() if v} == stats.edges
    assert counts["DERIVED_FROM"] == sum(stats.edges.values())


def test_slices_cover_the_table_in_order_fit_the_share_and_tile_node_groups() -> None:
    table = pa.table({"k": [f"owner/model-{i:06d}" for i in range(10_000)]})
    pool = 5 * table.nbytes  # a tenth of it holds half the table
    parts = list(slices(table, pool))
    assert pa.concat_tables(parts).column("k").to_pylist() == table.column("k").to_pylist()
    assert all(p.nbytes <= pool * POOL_SHARE for p in parts)
    assert [p.num_rows for p in parts] == [4096, 4096, 1808]  # a power of two divides a group
    assert NODE_GROUP % 4096 == 0
    assert list(slices(table, 100 * table.nbytes)) == [table]  # fits: the table itself
    # a node COPY may take a larger share: the same slices from a pool 2.5 times smaller
    parts = list(slices(table, 2 * table.nbytes, COPY_SHARE))
    assert [p.num_rows for p in parts] == [4096, 4096, 1808]
    assert all(p.nbytes <= 2 * table.nbytes * COPY_SHARE for p in parts)


def test_large_slices_are_whole_node_groups() -> None:
    table = pa.table({"k": pa.repeat(0, 3 * NODE_GROUP + 5)})
    parts = list(slices(table, int(table.nbytes / POOL_SHARE / 2.5)))  # 1.2 groups fit
    assert [p.num_rows for p in parts] == [NODE_GROUP, NODE_GROUP, NODE_GROUP, 5]


def test_a_full_buffer_pool_says_which_setting_to_raise_and_to_what() -> None:
    engine = RuntimeError(
        "Buffer manager exception: Unable to allocate memory! The buffer pool is full and no "
        "memory could be freed!"
    )
    error = translate(engine, "/tmp/kb", 512 * 1024 * 1024)
    assert isinstance(error, BufferPoolFullError) and isinstance(error, StoreError)
    assert "512 MiB" in error.message
    assert error.hint is not None and "MLSC_BUFFER_POOL_MB=1024" in error.hint


@pytest.mark.slow
def test_ingesting_70k_models_again_leaves_the_same_graph_with_the_smallest_buffer_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second ingestion of the same snapshot ran the pool out in the ``LOAD ... SET``
    of rows already stored (nodes first, then edges; 200k models at 512 MiB too). A snapshot
    observed at another time changes every node and edge: that one must fit as well."""
    monkeypatch.setenv("MLSC_BUFFER_POOL_MB", "64")
    write_hub(70_000, tmp_path / "hub.jsonl")
    later = "2030-01-01T00:00:00Z"
    with LadybugStore(tmp_path / "kb") as store:
        first = ingest_snapshot(store, tmp_path / "hub.jsonl")
        counts, graph = store.counts(), contents(store, 100_000)
        again = ingest_snapshot(store, tmp_path / "hub.jsonl")
        assert store.counts() == counts
        assert contents(store, 100_000) == graph
        ingest_snapshot(store, tmp_path / "hub.jsonl", observed_at=later)
        relabelled = contents(store, 100_000)
    assert (again.nodes_created, again.edges_removed) == (0, 0)
    assert again.nodes_updated == first.nodes_created
    with LadybugStore(tmp_path / "fresh") as fresh:
        ingest_snapshot(fresh, tmp_path / "hub.jsonl", observed_at=later)
        assert relabelled == contents(fresh, 100_000)
    assert relabelled != graph


class _PoolOf:
    """A connection whose pool holds a COPY of at most ``limit`` rows (the engine's real
    limit needs millions of edges): what each COPY staged, in order."""

    pool_bytes = 64 * 1024 * 1024

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.copied: list[list[str]] = []
        self.checkpoints = 0

    def run(self, statement: str) -> None:
        import pyarrow.parquet as pq

        if statement == "CHECKPOINT":
            self.checkpoints += 1
            return
        staged = pq.read_table(statement.split("'")[1])
        if staged.num_rows > self.limit:
            raise BufferPoolFullError("the buffer pool is full")
        self.copied.append(staged.column("from").to_pylist())


def test_an_edge_copy_the_pool_cannot_hold_goes_in_halves_in_order(tmp_path: Path) -> None:
    from mlsc.graph.ladybug.staging import Stage
    from mlsc.graph.ladybug.writes import Writer

    rows = pa.table({"from": [f"o/m{i}" for i in range(10)], "to": ["o/base"] * 10})
    conn = _PoolOf(limit=3)
    writer = Writer(conn, {})  # type: ignore[arg-type]
    writer._copy_edges(Stage(tmp_path), "COPY DERIVED_FROM FROM '{}'", rows)
    assert [len(part) for part in conn.copied] == [2, 3, 2, 3]  # 10 -> 5 + 5 -> (2 + 3) x 2
    assert [m for part in conn.copied for m in part] == rows.column("from").to_pylist()
    assert conn.checkpoints == 6

    with pytest.raises(BufferPoolFullError):  # not even one row fits: the engine's error
        Writer(_PoolOf(limit=0), {})._copy_edges(  # type: ignore[arg-type]
            Stage(tmp_path), "COPY DERIVED_FROM FROM '{}'", rows.slice(0, 1)
        )
