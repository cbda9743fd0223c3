"""Fast generator of hub-shaped model graphs, as Hugging Face Hub API records (JSON Lines).

Each record has the shape of one element of ``GET /api/models?full=true&cardData=true``
(``id``, ``author``, ``sha``, ``createdAt``, ``lastModified``, ``downloads``, ``likes``,
``tags``, ``library_name``, ``pipeline_tag``, ``gated``, ``private``, ``cardData``,
``siblings`` and, on some, ``config``), small but realistic. It is meant to benchmark
ingestion and graph queries at 100k to 1M models.

Shape of the graph (child -> parent lineage, as the Hub declares it):

* about 15% roots (base models, no parent; the first n/500 models are all roots); every
  other model derives from earlier models chosen by preferential attachment (a Price model:
  with probability ``_Q_PREF`` a parent is drawn in proportion to the children it already
  has, otherwise from a pool of the models that attract derivatives, where a root weighs a
  Pareto-distributed "fitness" so a few late base models still become hubs), so in-degree
  follows a power law: at 1M about 85% of models have no child, the biggest hub has ~14k
  direct children and a handful of models have tens of thousands of descendants;
* relations among derived models in roughly the Hub's proportions: finetune 55, quantized 25,
  adapter 12, merge 2 (normalised, so about 58/27/13/2 percent of derived models); a merge
  has 2 to 5 distinct parents, and merges of merges happen since merges attract derivatives;
  quantized models and adapters are leaves (nothing derives from them);
* a few forced finetune-of-finetune chains (one per 250k models, at least one) spread over
  the stream, so the longest derivation is exactly ``MAX_DEPTH`` (40) and a leaf sits at
  depth 40 on a single-parent path; no model is ever deeper than that;
* owners: about n/8 users and n/200 organisations, picked with Zipf-like weights (a few own
  thousands of models at 1M) plus three quantizer organisations (the largest,
  ``QuantBloke``, owns most of their quantized models); ``author`` is the id's namespace;
* parents are always earlier records (so no cycles, no self-edges), and a child is created
  after its parents (``createdAt`` grows strictly along the stream).

The *merge-heavy* variant (``merge_heavy=True``, ``--merge-heavy``) stresses merges of
merges: merge 38, finetune 40, quantized 14, adapter 8 among derived models, and each parent
of a merge is, with probability ``_MERGE_OF_MERGE``, drawn uniformly from the earlier merges
(below the depth cap), so merges nest many levels deep and the number of distinct paths
between a model and its ancestors grows exponentially with depth. The default stream is
unchanged by this option (it draws no extra random numbers unless enabled).

Output is deterministic for a given seed. Records are streamed, never held all at once;
the generator keeps a few compact arrays of per-model state (peak RSS about 110 MB at 1M).

The parts: ``hubshape/params.py`` (proportions, names, the draws), ``hubshape/generator.py``
(the per-model state and the stream); this module writes the stream out.

Usage: ``python benchmarks/hubgen.py N OUT.jsonl[.gz] [--seed S] [--merge-heavy]`` (stats as
JSON on stderr).
"""

from __future__ import annotations

import argparse
import gzip
import queue
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the generator's parts from this checkout
    sys.path.insert(0, str(REPO))

from benchmarks.hubshape.generator import GenStats, _Generator  # noqa: E402
from benchmarks.hubshape.params import MAX_DEPTH, RELATIONS  # noqa: E402

__all__ = ["MAX_DEPTH", "RELATIONS", "GenStats", "generate", "write"]


def generate(n: int, seed: int = 0, merge_heavy: bool = False) -> Iterator[dict[str, Any]]:
    """Stream n Hub API model records, parents always before their children."""
    yield from _Generator(n, seed, merge_heavy).records()


def write(n: int, path: str | Path, seed: int = 0, merge_heavy: bool = False) -> GenStats:
    """Write n records as JSON Lines to path (gzip if it ends in .gz); return the stats.

    Serialisation runs here, compression and file writes on a helper thread (zlib and
    file I/O release the GIL, so on two cores compression is mostly hidden).
    """
    gen = _Generator(n, seed, merge_heavy)
    path = Path(path)
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
    failure: list[BaseException] = []

    def sink() -> None:
        try:
            gz = path.suffix == ".gz"
            with gzip.open(path, "wb", compresslevel=3) if gz else path.open("wb") as out:
                while (chunk := chunks.get()) is not None:
                    out.write(chunk)
        except BaseException as exc:  # pragma: no cover - surfaced below
            failure.append(exc)
            while chunks.get() is not None:
                pass

    writer = threading.Thread(target=sink, name="hubgen-writer", daemon=True)
    writer.start()
    dumps = orjson.dumps
    opt = orjson.OPT_APPEND_NEWLINE
    batch: list[bytes] = []
    try:
        for record in gen.records():
            batch.append(dumps(record, option=opt))
            if len(batch) == 2048:
                chunks.put(b"".join(batch))
                batch = []
        if batch:
            chunks.put(b"".join(batch))
    finally:
        chunks.put(None)
        writer.join()
    if failure:
        raise failure[0]
    return gen.stats()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, help="number of models")
    parser.add_argument("out", type=Path, help="output .jsonl or .jsonl.gz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--merge-heavy", action="store_true", help="the merge-heavy variant (merges of merges)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = write(args.n, args.out, seed=args.seed, merge_heavy=args.merge_heavy)
    report = stats.to_json()
    report["seconds"] = round(time.perf_counter() - started, 2)
    sys.stderr.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
