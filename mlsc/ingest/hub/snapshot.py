"""Ingest a snapshot of Hugging Face model records (JSON Lines or one JSON array, optionally
gzipped).

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:                       # doctest: +SKIP
    ...     report = ingest_snapshot(store, "examples/sample-hub.jsonl")
    ...     print(report.ingested, sum(report.edges.values()), report.cycles)

Each line is one record as ``GET /api/models?full=true&cardData=true`` returns it; a file
holding that answer as it comes (one JSON array) is read item by item, numbered from 1. Any field
may be missing. A bad line is reported with its number and reason and the rest goes on; the
same file ingested twice leaves the same graph (facts carry the file's modification time as
``observed_at``, not the wall clock).
"""

from __future__ import annotations

import ctypes
import gzip
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from mlsc.errors import InputError
from mlsc.graph.records import EdgeTable, GraphBatch, NodeTable
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.snapshot_rows import (
    DERIVED_SCHEMA,
    MODEL_COLUMNS,
    MODEL_SCHEMA,
    TRAINED_SCHEMA,
    Converted,
    convert_block,
)
from mlsc.ingest.interface import IngestReport, Problem, Progress
from mlsc.vocab import HUB, utc_iso, utc_stamp

BLOCK = 20_000
"""Lines per block handed to a converter."""
PARALLEL_BYTES = 32 * 1024 * 1024
"""Files at least this large are parsed in worker processes."""


class _Merged:
    """Blocks gathered in order; duplicates resolved (the later record wins) at the end."""

    def __init__(self, report: IngestReport) -> None:
        self.report = report
        self.models: list[pa.Table] = []
        self.derived: list[pa.Table] = []
        self.trained: list[pa.Table] = []
        self.actors: dict[str, tuple[str | None, bool | None]] = {}
        self.placeholders: dict[str, str | None] = {}
        self.datasets: dict[str, None] = {}
        self.ids = pa.array([], pa.string())
        """Every ingested id, once (set by :meth:`batch`)."""
        self.id_lines = pa.array([], pa.int64())
        self.line_of: dict[str, int] = {}
        """Line of the record that won, for ids that were duplicated."""

    def add(self, block: Converted) -> None:
        self.report.read += block.read
        self.report.ingested += block.ingested
        for problem in block.problems:
            self.report.add(problem)
        self.models.append(block.models)
        self.derived.append(block.derived)
        self.trained.append(block.trained)
        self.actors.update(block.actors)
        for pid, owner in block.placeholders.items():
            self.placeholders.setdefault(pid, owner)
        self.datasets.update(dict.fromkeys(block.datasets))

    def _duplicates(self, models: pa.Table) -> None:
        """Report every repeated id; remember the line that wins (the last one)."""
        counts = pc.value_counts(models.column("id"))
        repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
        if not len(repeated):
            return
        rows = models.filter(pc.is_in(models.column("id"), value_set=repeated))
        seen: dict[str, int] = {}
        for rid, line in zip(
            rows.column("id").to_pylist(), rows.column("line").to_pylist(), strict=True
        ):
            if rid in seen:
                self.report.add(
                    Problem(
                        line,
                        rid,
                        "duplicate-id",
                        f"also on line {seen[rid]}; this later record wins",
                        "warning",
                    )
                )
            seen[rid] = line
        self.line_of = seen

    def _latest(self, table: pa.Table, key: str) -> pa.Table:
        """Rows from the last record of each id only (earlier duplicates dropped)."""
        if not self.line_of or table.num_rows == 0:
            return table
        keys = table.column(key).to_pylist()
        wanted = pa.array([self.line_of.get(k, -1) for k in keys], pa.int64())
        dropped = pc.and_(pc.not_equal(wanted, -1), pc.not_equal(table.column("line"), wanted))
        return table.filter(pc.invert(dropped))

    def batch(self, source: str, observed_at: str) -> GraphBatch:
        models = _concat(self.models, MODEL_SCHEMA)
        self._duplicates(models)
        models = self._latest(models, "id")
        derived = self._latest(_concat(self.derived, DERIVED_SCHEMA), "child")
        trained = self._latest(_concat(self.trained, TRAINED_SCHEMA), "model")
        self.models, self.derived, self.trained = [], [], []  # free the blocks
        self.ids = models.column("id").combine_chunks()
        self.id_lines = models.column("line").combine_chunks()
        for row in pc.value_counts(derived.column("relation")).to_pylist():
            self.report.edges[row["values"]] += row["counts"]
        ingested = pc.is_in(pa.array(list(self.placeholders), pa.string()), value_set=self.ids)
        placeholders = {
            p: o
            for (p, o), known in zip(self.placeholders.items(), ingested.to_pylist(), strict=True)
            if not known
        }
        self.report.placeholders = len(placeholders)
        parent_owners = [
            o for o in dict.fromkeys(placeholders.values()) if o and o not in self.actors
        ]

        def prov(n: int) -> dict[str, pa.Array]:
            return {"source": constant(source, n), "observed_at": constant(observed_at, n)}

        def hub(n: int) -> pa.Array:
            return constant(HUB, n)

        n = models.num_rows
        model_columns = (
            {name: models.column(name) for name in MODEL_COLUMNS} | {"hub": hub(n)} | prov(n)
        )
        has_owner = pc.is_valid(models.column("author"))
        owned = models if pc.all(has_owner).as_py() is not False else models.filter(has_owner)
        placeholder_ids = list(placeholders)
        owned_placeholders = [p for p in placeholder_ids if placeholders[p]]
        actors = list(self.actors)
        datasets = list(self.datasets)
        nodes = [
            NodeTable("Model", models.column("id"), model_columns),
            NodeTable(
                "Actor",
                actors,
                {
                    "hub": hub(len(actors)),
                    "kind": [k for k, _ in self.actors.values()],
                    "verified": [v for _, v in self.actors.values()],
                }
                | prov(len(actors)),
            ),
            NodeTable(
                "Model",
                placeholder_ids,
                {
                    "hub": hub(len(placeholder_ids)),
                    "author": [placeholders[p] for p in placeholder_ids],
                    "ingested": pa.repeat(False, len(placeholder_ids)),
                }
                | prov(len(placeholder_ids)),
                create_only=True,
            ),
            NodeTable(
                "Actor",
                parent_owners,
                {"hub": hub(len(parent_owners))} | prov(len(parent_owners)),
                create_only=True,
            ),
            NodeTable("Dataset", datasets, {"hub": hub(len(datasets))} | prov(len(datasets))),
        ]
        edges = [
            EdgeTable(
                "OWNS",
                "Actor",
                "Model",
                pa.chunked_array(
                    [
                        *owned.column("author").chunks,
                        pa.array([placeholders[p] for p in owned_placeholders], pa.string()),
                    ],
                    pa.string(),
                ),
                pa.chunked_array(
                    [*owned.column("id").chunks, pa.array(owned_placeholders, pa.string())],
                    pa.string(),
                ),
                prov(owned.num_rows + len(owned_placeholders)),
            ),
            EdgeTable(
                "DERIVED_FROM",
                "Model",
                "Model",
                derived.column("child"),
                derived.column("parent"),
                {
                    "relation": derived.column("relation"),
                    "evidence": derived.column("evidence"),
                    "confidence": derived.column("confidence"),
                }
                | prov(derived.num_rows),
            ),
            EdgeTable(
                "TRAINED_ON",
                "Model",
                "Dataset",
                trained.column("model"),
                trained.column("dataset"),
                prov(trained.num_rows),
            ),
        ]
        replaced = self.ids
        return GraphBatch(
            node_tables=nodes,
            edge_tables=edges,
            replace_outgoing={"DERIVED_FROM": replaced, "TRAINED_ON": replaced},
        )

    def lines(self, ids: Sequence[str]) -> list[tuple[str, int | None]]:
        """The line of each given ingested id (None for one only named as a base)."""
        found = pc.index_in(pa.array(ids, pa.string()), value_set=self.ids).to_pylist()
        return [
            (i, self.line_of.get(i) or (self.id_lines[f].as_py() if f is not None else None))
            for i, f in zip(ids, found, strict=True)
        ]


def constant(value: str, n: int) -> pa.DictionaryArray:
    """``value`` ``n`` times, held once: as plain strings the provenance columns of 2M models
    and their edges took 350 MB (the stores write them out a slice at a time)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, np.int8)), pa.array([value], pa.string())
    )


def release_memory() -> None:
    """Hand free heap pages back to the system: Arrow's, and the C heap's (glibc only).

    The parse frees as much as it keeps (each block's raw lines, records and pickled
    result), in pieces the allocator keeps for reuse: at 200k models 85 MB of the main
    process's RSS was such free memory, and it counted towards the peak when the store's
    buffer pool filled on top of it. Arrow's allocator (mimalloc) keeps freed pages too:
    handing them back as well took 0.14 GB off the peak of a 2M-model ingestion."""
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _concat(tables: list[pa.Table], schema_: pa.Schema) -> pa.Table:
    return pa.concat_tables(tables) if tables else schema_.empty_table()


def _blocks(path: Path, progress: Progress | None) -> Iterator[list[tuple[int, bytes]]]:
    """Numbered raw lines in blocks; gzip is detected by its magic bytes, not its name. A
    file holding one JSON array (a saved Hub API answer) gives its items, numbered from 1."""
    total = path.stat().st_size
    number = 0
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        stream: gzip.GzipFile | io.BufferedReader = (
            gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
        )
        block: list[tuple[int, bytes]] = []
        try:
            items = _array_items(stream)
            for number, line in enumerate(stream if items is None else items, start=1):
                block.append((number, line))
                if len(block) >= BLOCK:
                    yield block
                    block = []
                    if progress:
                        progress(raw.tell(), total)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot read past line {number}: {exc}") from exc
        if block:
            yield block
        if progress:
            progress(total, total)


def _array_items(stream: gzip.GzipFile | io.BufferedReader) -> list[bytes] | None:
    """The items of a stream that holds one JSON array, each as one JSON line; ``None`` for
    anything else (JSON Lines), with the stream left where it was. The array is read whole:
    what the Hub API answers per page, or a saved listing, fits in memory."""
    head = stream.peek(64)[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"["):
        return None
    data = stream.read().removeprefix(b"\xef\xbb\xbf")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:  # JSON Lines whose lines are arrays: read line by line
        stream.seek(0)
        return None
    if not isinstance(value, list):
        stream.seek(0)
        return None
    return [orjson.dumps(item) for item in value]


def _converted(blocks: Iterator[list[tuple[int, bytes]]], workers: int) -> Iterator[Converted]:
    """Blocks converted in order, in ``workers`` processes (0: in this one).

    At most two blocks per worker are in flight, so a huge file never sits in memory. A
    worker that dies raises BrokenProcessPool here instead of hanging the run.
    """
    if workers <= 0:
        yield from map(convert_block, blocks)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[Converted]] = deque()
        for block in blocks:
            pending.append(pool.submit(convert_block, block))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def ingest_snapshot(
    store: GraphStore,
    path: str | Path,
    *,
    observed_at: str | None = None,
    progress: Progress | None = None,
    workers: int | None = 0,
) -> IngestReport:
    """Read ``path`` and write its models, owners, datasets and derivations into ``store``.

    Records are parsed in ``workers`` processes and written in one bulk batch at the end.
    The default, 0, parses in this process. ``None`` picks one worker per core (up to 4)
    for files over ``PARALLEL_BYTES``; worker processes are started with ``spawn``, so a
    script that asks for them needs the usual ``if __name__ == "__main__":`` guard.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"no such snapshot file: {path}",
            hint="Give a JSON Lines file or a JSON array of Hub model records.",
        )
    source = f"snapshot:{path.name}"
    if observed_at is None:
        mtime = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        observed = utc_stamp(mtime)
    else:
        observed = utc_iso(observed_at) or ""
        if not observed:
            raise InputError(
                f"--observed-at {observed_at[:40]!r} is not a date",
                hint="Use ISO 8601, e.g. 2025-06-01T00:00:00Z.",
            )
    if workers is None:
        big = path.stat().st_size >= PARALLEL_BYTES
        workers = min(os.cpu_count() or 1, 4) if big and (os.cpu_count() or 1) > 1 else 0
    report = IngestReport(source=str(path))
    merged = _Merged(report)
    for block in _converted(_blocks(path, progress), workers):
        merged.add(block)
    release_memory()
    batch = merged.batch(source, observed)
    release_memory()
    stats = store.write(batch)
    del batch
    release_memory()
    report.nodes_created, report.nodes_updated = stats.nodes_created, stats.nodes_updated
    report.edges_removed = stats.edges_removed

    report.cycles = store.derivation_cycles()
    for cycle in report.cycles:
        lines = ", ".join(f"{m} (line {n})" for m, n in merged.lines(cycle) if n)
        report.add(
            Problem(
                0,
                cycle[0],
                "lineage-cycle",
                f"{len(cycle)} models derive from each other: {lines or ', '.join(cycle)}; "
                "kept as declared, traversals stop on it",
                "warning",
            )
        )
    return report
