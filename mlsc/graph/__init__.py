"""Graph stores behind one interface (:class:`GraphStore`), and how to open one.

>>> from mlsc.graph import open_store
>>> with open_store("/tmp/kb") as store:                  # doctest: +SKIP
...     print(store.counts())
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsc.errors import MlscError

if TYPE_CHECKING:
    from mlsc.graph.store import GraphStore

ENV_DB = "MLSC_DB"
ENV_BACKEND = "MLSC_BACKEND"


def default_db_path() -> Path:
    """``$MLSC_DB``, else the user's data directory (e.g. ~/.local/share/mlsc/kb)."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("mlsc") / "kb"


DEMO_DB = Path("demo-out") / "kb"
"""Where `make demo` builds its knowledge base, under the repository."""


def demo_db_path(cwd: Path | None = None) -> Path | None:
    """The knowledge base `make demo` built, in the current directory or in the checkout mlsc
    runs from, when there is one."""
    checkout = Path(__file__).resolve().parents[2]
    for root in (cwd or Path.cwd(), checkout):
        candidate = (root / DEMO_DB).resolve()
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def embedded_dir(path: str | Path | None = None, *, backend: str | None = None) -> Path | None:
    """The directory of the embedded store :func:`open_store` opens with these arguments, or
    None when they choose another backend."""
    if (backend or os.environ.get(ENV_BACKEND) or "ladybug").lower() != "ladybug":
        return None
    return Path(path or default_db_path()).expanduser()


def open_store(
    path: str | Path | None = None,
    *,
    backend: str | None = None,
    read_only: bool = False,
    neo4j: Mapping[str, str | None] | None = None,
) -> GraphStore:
    """Open (creating on first write) the knowledge base.

    ``backend`` is ``ladybug`` (the embedded default) or ``neo4j``; it defaults to
    ``$MLSC_BACKEND``, else ``ladybug``. For Neo4j, ``neo4j`` may override ``uri``,
    ``user`` and ``database`` of ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_DATABASE``
    (the password comes only from ``NEO4J_PASSWORD``).
    """
    directory = embedded_dir(path, backend=backend)
    if directory is not None:
        from mlsc.graph.ladybug import LadybugStore

        return LadybugStore(directory, read_only=read_only)
    backend = (backend or os.environ.get(ENV_BACKEND) or "ladybug").lower()
    if backend == "neo4j":
        from mlsc.graph.neo4j import Neo4jSettings, Neo4jStore

        return Neo4jStore(Neo4jSettings.from_env(**(neo4j or {})), read_only=read_only)
    raise MlscError(
        f"unknown backend {backend!r}",
        hint="Use --backend ladybug (embedded, the default) or --backend neo4j.",
    )


def __getattr__(name: str) -> Any:
    """``GraphStore`` on first use: importing a module of this package (the saved lineage
    index, say) does not load the store interface and pyarrow with it."""
    if name == "GraphStore":
        from mlsc.graph.store import GraphStore

        return GraphStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GraphStore", "default_db_path", "demo_db_path", "embedded_dir", "open_store"]
