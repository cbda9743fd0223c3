"""Where the saved lineage index used to live: it is :mod:`mlsc.graph.index_cache` now, which
a query process can read without importing the engine. Kept for callers of the old name."""

from mlsc.graph.index_cache import CACHE_DIR, COUNTER_FILE, FORMAT, META

__all__ = ["CACHE_DIR", "COUNTER_FILE", "FORMAT", "META"]
