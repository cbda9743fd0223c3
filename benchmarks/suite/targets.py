"""The targets the benchmark judges at ``TARGET_N`` models, and the run's fixed settings."""

from __future__ import annotations

TARGET_N = 1_000_000
"""The size at which the targets are judged."""
WARMUP = 1
REPEAT = 5

TARGETS: dict[str, float] = {
    "ingest_seconds": 20.0,
    "ingest_vs_networkx": 1.5,
    "peak_rss_bytes": 2 * 1024**3,
    "hub_blast_radius_seconds": 0.010,
    "hub_blast_radius_vs_igraph": 1.0,
    "lineage_seconds": 0.001,
    "org_reach_seconds": 0.200,
    "cli_seconds": 0.3,
    "top_seconds": 5.0,
}
NEO4J_TARGETS: dict[str, float] = {
    "neo4j_ingest_seconds": 120.0,
    "neo4j_hub_blast_radius_seconds": 0.150,
}
NEO4J_HEAP = "4g"
NEO4J_PAGECACHE = "2g"
MERGE_HEAVY_N = 100_000
PATH_TIMEOUT = 60.0
"""Seconds the naive path-counting Cypher may run on the merge-heavy graph."""
