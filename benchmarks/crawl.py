"""Hub crawl throughput: models per second with 1, 4 and 16 workers, and requests per model.

The real ``huggingface_hub`` client crawls the local replay Hub (``tests/replay``): a
synthetic hub whose base ``acme-ai/acme-1b`` has ``--children`` direct fine-tunes, crawled
with ``--model acme-ai/acme-1b --descendants`` into a fresh embedded store, with no rate
limit. Each answer of the server waits ``--latency`` seconds first (a network round trip;
the real Hub's is tens of milliseconds), and the run is repeated without latency to show
the client's own cost. Ratios are against the 1-worker run of the same process.

``--family synthetic`` and ``--family real`` measure what a family crawl spends instead:
every base of the synthetic hub (``--children`` wide), or the real 67-model
Mistral-Small-24B-Base-2501 tree (``tests/replay/tree.py``, read from ``../shared/data``),
crawled with ``--ancestors --descendants`` all the way, commits and owners included (the CLI's
defaults, with its journal and blob cache beside the store), then again into the same store (a
re-crawl), and both with ``--no-commits``: requests per model, and by kind.

Usage: ``python benchmarks/crawl.py [--children 1000] [--latency 0.03] [--workers 1,4,16]``
``python benchmarks/crawl.py --family real``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mlsc.graph.ladybug import LadybugStore  # noqa: E402
from mlsc.ingest.hub.crawl import crawl_hub, with_journal  # noqa: E402
from mlsc.ingest.hub.options import CrawlOptions  # noqa: E402
from tests.replay.hf import HubServer, Paging, hf_client_env  # noqa: E402
from tests.replay.hub import Hub, synthetic_hub  # noqa: E402
from tests.replay.tree import MISTRAL_ROOT, mistral_family  # noqa: E402

SEED = "acme-ai/acme-1b"


def crawl_once(children: int, latency: float, workers: int, tmp: Path) -> dict[str, Any]:
    hub = synthetic_hub(wide_children=children)
    with (
        HubServer(hub, paging=Paging(), latency=latency) as server,
        LadybugStore(tmp / f"kb-{latency}-{workers}") as store,
    ):
        started = time.perf_counter()
        report = crawl_hub(
            store,
            CrawlOptions(
                models=(SEED,),
                descendants=True,
                depth=1,
                workers=workers,
                rate=0,
                endpoint=server.url,
                token=False,
                batch=200,
            ),
        )
        seconds = time.perf_counter() - started
        return {
            "workers": workers,
            "latency_s": latency,
            "models": report.models,
            "seconds": round(seconds, 3),
            "models_per_s": round(report.models / seconds, 1),
            "requests": server.total,
            "requests_per_model": round(server.total / report.models, 2),
            "client_counted_requests": report.requests,
            "by_kind": dict(server.requests),
        }


SYNTHETIC_BASES = (
    "acme-ai/acme-7b",
    "acme-ai/acme-1b",
    "openweights/ow-13b",
    "openweights/ow-3b",
    "tinylab/tiny-base",
)


def family_once(
    hub: Hub, seeds: tuple[str, ...], commits: bool, tmp: Path, runs: int = 1
) -> list[dict[str, Any]]:
    """A family crawl (ancestors and descendants, no depth limit) ``runs`` times into one
    store (a re-crawl finds what the first one stored), and what each run spent."""
    rows = []
    with (
        HubServer(hub, paging=Paging()) as server,
        LadybugStore(tmp / f"family-{commits}") as store,
    ):
        for run in range(runs):
            server.reset_counts()
            options = CrawlOptions(
                models=seeds,
                ancestors=True,
                descendants=True,
                commits=commits,
                workers=4,
                rate=0,
                endpoint=server.url,
                token=False,
            )
            # the journal and the blob cache beside the store, as the CLI crawls
            report = crawl_hub(store, with_journal(store, options))
            rows.append(
                {
                    "commits": commits,
                    "run": "again" if run else "first",
                    "models": report.models,
                    "requests": server.total,
                    "requests_per_model": round(server.total / report.models, 2),
                    "client_counted_requests": report.requests,
                    "by_kind": dict(sorted(server.requests.items())),
                }
            )
    return rows


def family(name: str, children: int, tmp: Path) -> list[dict[str, Any]]:
    if name == "real":
        hub, seeds = mistral_family(), (MISTRAL_ROOT,)
    else:
        hub, seeds = synthetic_hub(wide_children=children), SYNTHETIC_BASES
    rows = []
    for commits in (True, False):
        for row in family_once(hub, seeds, commits, tmp, runs=2):
            rows.append({"family": name, **row})
            per = ", ".join(f"{k} {v / row['models']:.2f}" for k, v in row["by_kind"].items())
            print(
                f"family {name:9s} commits {'on ' if commits else 'off'} {row['run']:5s}: "
                f"{row['models']} models, {row['requests']} requests = "
                f"{row['requests_per_model']:.2f} per model ({per})",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument(
        "--family",
        choices=("synthetic", "real"),
        help="Measure requests per model of a whole family crawl instead of throughput.",
    )
    args = parser.parse_args(argv)
    if args.family:
        with (
            tempfile.TemporaryDirectory(prefix="mlsc-crawl-bench-") as tmp,
            hf_client_env(Path(tmp) / "hf"),
        ):
            rows = family(args.family, args.children, Path(tmp))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="mlsc-crawl-bench-") as tmp,
        hf_client_env(Path(tmp) / "hf"),
    ):
        for latency in sorted({args.latency, 0.0}, reverse=True):
            base = None
            for w in workers:
                row = crawl_once(args.children, latency, w, Path(tmp))
                base = base or row["models_per_s"]
                row["speedup_vs_1"] = round(row["models_per_s"] / base, 2)
                rows.append(row)
                print(
                    f"latency {latency * 1000:4.0f} ms  workers {w:2d}: {row['models']} models "
                    f"in {row['seconds']:6.2f} s = {row['models_per_s']:7.1f} models/s "
                    f"(x{row['speedup_vs_1']:.2f} vs 1 worker), "
                    f"{row['requests_per_model']:.2f} requests/model",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
