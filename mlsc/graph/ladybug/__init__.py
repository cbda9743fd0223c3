"""The embedded store, LadybugDB: the one door to it.

    >>> from mlsc.graph.ladybug import LadybugStore
    >>> with LadybugStore("/tmp/kb") as store:          # doctest: +SKIP
    ...     print(store.counts()["Model"])

- :mod:`~mlsc.graph.ladybug.connection`: where the database lives, its tables, queries with
  the engine's errors translated;
- :mod:`~mlsc.graph.ladybug.staging`: Parquet staging and Arrow column helpers;
- :mod:`~mlsc.graph.ladybug.writes`: a batch written through COPY FROM and LOAD FROM;
- :mod:`~mlsc.graph.ladybug.store`: :class:`LadybugStore`, the reads and user Cypher.
"""

from mlsc.graph.index_cache import DB_FILE
from mlsc.graph.ladybug.connection import MAX_DEPTH, buffer_pool_bytes
from mlsc.graph.ladybug.staging import ROW_GROUP
from mlsc.graph.ladybug.store import LadybugStore

__all__ = ["DB_FILE", "MAX_DEPTH", "ROW_GROUP", "LadybugStore", "buffer_pool_bytes"]
