"""The embedded store's bulk writes within its buffer pool (``MLSC_BUFFER_POOL_MB``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest

from benchmarks.hubgen import write as write_hub
from mlsc.errors import BufferPoolFullError, StoreError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.ladybug.connection import translate
from mlsc.graph.ladybug.staging import (
    COPY_SHARE,
    EDGE_POOL_PER_BYTE,
    NODE_GROUP,
    POOL_SHARE,
    plain_nbytes,
    slices,
)
from mlsc.ingest.hub.snapshot import ingest_snapshot
from tests.graph.builders import chain, contents, lineage_batch


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
        self.tried: list[int] = []
        self.checkpoints = 0

    def run(self, statement: str) -> None:
        import pyarrow.parquet as pq

        if statement == "CHECKPOINT":
            self.checkpoints += 1
            return
        staged = pq.read_table(statement.split("'")[1])
        self.tried.append(staged.num_rows)
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


class _Widening(_PoolOf):
    """A pool that holds ``limit`` rows, and ``wide_limit`` while widened (never when the
    user set the pool): the widenings asked for, and the pool each COPY ran with."""

    def __init__(self, limit: int, wide_limit: int, *, user_limit: bool = False) -> None:
        super().__init__(limit)
        self.wide_limit, self.user_limit = wide_limit, user_limit
        self.widened: list[int] = []
        self.pools: list[str] = []

    def run(self, statement: str) -> None:
        if statement != "CHECKPOINT":
            wide = self.widened and self.limit == self.wide_limit
            self.pools.append("wide" if wide else "own")
        super().run(statement)

    @contextmanager
    def wider_pool(self, wanted: int) -> Iterator[bool]:
        if self.user_limit:
            yield False
            return
        own, self.limit = self.limit, self.wide_limit
        self.widened.append(wanted)
        try:
            yield True
        finally:
            self.limit = own


def _copy(conn: _PoolOf, rows: pa.Table, tmp_path: Path, *, empty: bool) -> None:
    from mlsc.graph.ladybug.staging import Stage
    from mlsc.graph.ladybug.writes import Writer

    Writer(conn, {})._copy_edges(  # type: ignore[arg-type]
        Stage(tmp_path), "COPY DERIVED_FROM FROM '{}'", rows, empty=empty
    )


EDGES = pa.table({"from": [f"o/m{i}" for i in range(10)], "to": ["o/base"] * 10})


def test_an_edge_copy_sure_to_run_the_pool_out_goes_whole_into_a_widened_pool(
    tmp_path: Path,
) -> None:
    """Into an empty rel table one COPY beats any split (2M models: 9 s whole, 204 s for
    the second half alone); a pool under two thirds of the estimate is not even tried."""
    conn = _Widening(limit=3, wide_limit=10)
    conn.pool_bytes = EDGE_POOL_PER_BYTE * plain_nbytes(EDGES) // 2
    _copy(conn, EDGES, tmp_path, empty=True)
    assert conn.copied == [EDGES.column("from").to_pylist()]
    assert conn.pools == ["wide"]
    assert conn.widened == [EDGE_POOL_PER_BYTE * plain_nbytes(EDGES)]
    assert conn.limit == 3  # its own pool again after


def test_an_edge_copy_that_may_fit_is_tried_in_the_pool_first_then_widened(
    tmp_path: Path,
) -> None:
    conn = _Widening(limit=3, wide_limit=10)
    conn.pool_bytes = EDGE_POOL_PER_BYTE * plain_nbytes(EDGES)
    _copy(conn, EDGES, tmp_path, empty=True)
    assert conn.pools == ["own", "wide"] and len(conn.copied) == 1
    fits = _Widening(limit=10, wide_limit=10)
    fits.pool_bytes = conn.pool_bytes
    _copy(fits, EDGES, tmp_path, empty=True)
    assert fits.pools == ["own"] and fits.widened == []


def test_a_pool_the_user_set_is_never_widened_and_a_non_empty_table_never_asks(
    tmp_path: Path,
) -> None:
    for conn, empty in ((_Widening(3, 10, user_limit=True), True), (_Widening(3, 10), False)):
        conn.pool_bytes = EDGE_POOL_PER_BYTE * plain_nbytes(EDGES)  # may fit: tried first
        _copy(conn, EDGES, tmp_path, empty=empty)
        assert [len(part) for part in conn.copied] == [2, 3, 2, 3]  # halves, as before
        assert "wide" not in conn.pools and conn.widened == []
        assert conn.tried[:2] == [10, 5]


def test_an_edge_copy_sure_to_run_out_is_not_tried_when_the_pool_cannot_widen(
    tmp_path: Path,
) -> None:
    conn = _Widening(limit=3, wide_limit=10, user_limit=True)
    conn.pool_bytes = EDGE_POOL_PER_BYTE * plain_nbytes(EDGES) // 2
    _copy(conn, EDGES, tmp_path, empty=True)
    assert 10 not in conn.tried  # a COPY of the whole would only have run out
    assert [m for part in conn.copied for m in part] == EDGES.column("from").to_pylist()


def test_a_widened_pool_is_the_same_database_and_goes_back_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLSC_BUFFER_POOL_MB", raising=False)
    with LadybugStore(tmp_path / "kb") as store:
        store.write(lineage_batch(chain(5)))
        conn, before = store._conn, store.counts()
        own = conn.pool_bytes
        with conn.wider_pool(own + (64 << 20)) as widened:
            assert widened and conn.pool_bytes == own + (64 << 20)
            assert store.counts() == before
        assert conn.pool_bytes == own and store.counts() == before
        with conn.wider_pool(own // 2) as widened:  # not less than it has
            assert not widened and conn.pool_bytes == own
    with (
        LadybugStore(tmp_path / "kb", read_only=True) as store,
        store._conn.wider_pool(own * 2) as widened,
    ):
        assert not widened
    monkeypatch.setenv("MLSC_BUFFER_POOL_MB", "128")
    with (
        LadybugStore(tmp_path / "kb") as store,
        store._conn.wider_pool(1 << 30) as widened,  # the user's limit
    ):
        assert not widened and store._conn.pool_bytes == 128 << 20
