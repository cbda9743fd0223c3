"""Where the Neo4j server is and how to log in.

    >>> Neo4jSettings("neo4j://db.example:7687", "neo4j", "secret")
    Neo4jSettings(uri='neo4j://db.example:7687', user='neo4j', database='neo4j')

``Neo4jSettings.from_env()`` reads them from ``NEO4J_URI``, ``NEO4J_USERNAME``,
``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

RETRY_SECONDS = 120.0
"""How long the driver keeps retrying a transaction after a transient error or a lost
connection (a restarting server, a cluster leader switch) before giving up."""


@dataclass(frozen=True)
class Neo4jSettings:
    """Where the Neo4j server is and how to log in (the password is never shown)."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    retry_seconds: float = RETRY_SECONDS

    @classmethod
    def from_env(cls, **overrides: str | None) -> Neo4jSettings:
        """``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``."""
        values = {
            "uri": os.environ.get("NEO4J_URI", "neo4j://127.0.0.1:7687"),
            "user": os.environ.get("NEO4J_USERNAME", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
            "database": os.environ.get("NEO4J_DATABASE", "neo4j"),
        }
        values.update({k: v for k, v in overrides.items() if v})
        return cls(values["uri"], values["user"], values["password"], values["database"])

    def __repr__(self) -> str:
        return f"Neo4jSettings(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"
