"""Same graph, fewer requests: a family crawl's whole graph is pinned, node by node.

A crawl that spends fewer requests must still write exactly the same graph: every node and
edge with every property, minus when it was observed (``observed_at``, ``removed_at``). The
synthetic family's graph is kept in ``golden/synthetic-family.jsonl`` (one record a line,
sorted, so a difference reads as a diff); the real Mistral family's (``../shared/data``, test
input only, so not copied here) as a digest and counts in ``golden/mistral-family.json``.
Both were written by the crawl before its requests were cut (commit 1 of perf-crawl).

Regenerate them only for a change that is meant to change the graph:
``MLSC_UPDATE_GOLDEN=1 pytest tests/ingest/hub/test_crawl_graph.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlsc.graph import schema
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.crawl import crawl_hub
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from tests.replay.hf import HubServer, hf_client_env
from tests.replay.hub import Hub, synthetic_hub
from tests.replay.tree import MISTRAL_ROOT, mistral_family

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("MLSC_UPDATE_GOLDEN") == "1"
OBSERVED = "2025-06-01T00:00:00.000Z"
WHEN = frozenset({"observed_at", "removed_at"})
"""Properties that say when, not what: left out of the comparison."""
SYNTHETIC_SEEDS = (
    "acme-ai/acme-7b",
    "acme-ai/acme-1b",
    "openweights/ow-13b",
    "openweights/ow-3b",
    "tinylab/tiny-base",
    "acme-ai/Acme-7B",  # the old id of a renamed base
    "grace/acme-7b-distilled-1b",  # a base named only by the card's prose
    "heidi/ow-13b-pruned-50",
    "judy/broken-card",
)


def _values(column: Any) -> list[Any]:
    return column.to_pylist() if hasattr(column, "to_pylist") else list(column)


def graph_lines(store: GraphStore) -> list[str]:
    """Every node and edge of ``store`` with its properties (but when), one JSON line each."""
    lines: list[str] = []
    for node in schema.NODE_TYPES:
        for table in store.scan_nodes(node.label):
            keys = _values(table.keys)
            cols = {k: _values(v) for k, v in table.columns.items() if k not in WHEN}
            for i, key in enumerate(keys):
                props = {k: v[i] for k, v in sorted(cols.items()) if v[i] is not None}
                lines.append(json.dumps([node.label, key, props], sort_keys=True))
    for edge in schema.EDGE_TYPES:
        for src_label, dst_label in edge.pairs:
            for table in store.scan_edges(edge.type, src_label, dst_label):
                src, dst = _values(table.src), _values(table.dst)
                cols = {k: _values(v) for k, v in table.columns.items() if k not in WHEN}
                for i in range(len(src)):
                    props = {k: v[i] for k, v in sorted(cols.items()) if v[i] is not None}
                    row = [edge.type, src_label, src[i], dst_label, dst[i], props]
                    lines.append(json.dumps(row, sort_keys=True))
    return sorted(lines)


def family_crawl(
    hub: Hub, root: Path, seeds: tuple[str, ...]
) -> tuple[list[str], CrawlReport, Counter[str]]:
    """Crawl ``seeds`` with their ancestors and descendants, all the way, with commits and
    owners (the CLI's defaults); the graph's lines, the report and the server's requests."""
    with HubServer(hub) as server, hf_client_env(root / "hf"), LadybugStore(root / "kb") as store:
        report = crawl_hub(
            store,
            CrawlOptions(
                models=seeds,
                ancestors=True,
                descendants=True,
                endpoint=server.url,
                token=False,
                rate=0.0,
                workers=4,
                observed_at=OBSERVED,
            ),
            sleep=lambda _: None,
        )
        return graph_lines(store), report, server.requests.copy()


@pytest.fixture(scope="module")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[str], CrawlReport, Counter[str]]:
    hub = synthetic_hub(seed=0, wide_children=5)
    return family_crawl(hub, tmp_path_factory.mktemp("synthetic"), SYNTHETIC_SEEDS)


@pytest.fixture(scope="module")
def mistral(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[str], CrawlReport, Counter[str]]]:
    try:
        hub = mistral_family()
    except FileNotFoundError as exc:
        pytest.skip(f"the real family is test input only, read from ../shared/data: {exc}")
    yield family_crawl(hub, tmp_path_factory.mktemp("mistral"), (MISTRAL_ROOT,))


def test_the_synthetic_family_crawl_writes_the_golden_graph(
    synthetic: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    lines, report, _ = synthetic
    golden = GOLDEN / "synthetic-family.jsonl"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text("\n".join(lines) + "\n")
    expected = golden.read_text().splitlines()
    assert len(lines) > 300 and report.models > 25  # a family, not a stub
    missing = sorted(set(expected) - set(lines))
    extra = sorted(set(lines) - set(expected))
    assert (missing[:5], extra[:5]) == ([], [])
    assert lines == expected


def test_the_real_family_crawl_writes_the_same_graph(
    mistral: tuple[list[str], CrawlReport, Counter[str]],
) -> None:
    lines, report, _ = mistral
    golden = GOLDEN / "mistral-family.json"
    counts = Counter(json.loads(line)[0] for line in lines)
    found = {
        "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        "models": report.models,
        "records": dict(sorted(counts.items())),
    }
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(found, indent=1) + "\n")
    assert report.models == 67
    assert found == json.loads(golden.read_text())
