"""The server store, Neo4j 5: the one door to it.

    >>> from mlsc.graph.neo4j import Neo4jStore, Neo4jSettings
    >>> with Neo4jStore(Neo4jSettings.from_env()) as store:   # doctest: +SKIP
    ...     print(store.counts()["Model"])

- :mod:`~mlsc.graph.neo4j.settings`: where the server is and how to log in;
- :mod:`~mlsc.graph.neo4j.connection`: the driver, key constraints, reads, translated errors;
- :mod:`~mlsc.graph.neo4j.columns`: a table's columns as Cypher parameters;
- :mod:`~mlsc.graph.neo4j.writes`: a batch written in retried ``UNWIND ... MERGE`` transactions;
- :mod:`~mlsc.graph.neo4j.traversal`: breadth-first expansion in one read transaction;
- :mod:`~mlsc.graph.neo4j.store`: :class:`Neo4jStore`, the reads and user Cypher.
"""

from mlsc.graph.neo4j.connection import LOOKUP
from mlsc.graph.neo4j.settings import RETRY_SECONDS, Neo4jSettings
from mlsc.graph.neo4j.store import Neo4jStore
from mlsc.graph.neo4j.traversal import AT_ONCE_SEEDS
from mlsc.graph.neo4j.writes import BATCH, WRITERS

__all__ = [
    "AT_ONCE_SEEDS",
    "BATCH",
    "LOOKUP",
    "RETRY_SECONDS",
    "WRITERS",
    "Neo4jSettings",
    "Neo4jStore",
]
