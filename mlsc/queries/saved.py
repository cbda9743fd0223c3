"""A model's blast radius from the lineage index saved beside the embedded store, without
opening the store: what ``mlsc blast-radius MODEL`` answers with when it can.

    >>> result = saved_blast_radius(Path("/tmp/kb"), "org/base")   # doctest: +SKIP
    >>> result.count if result is not None else "ask the store"   # doctest: +SKIP

It answers only where the answer is the store's own, to the byte: the saved index is current
for the store as it is now (:func:`mlsc.graph.index_cache.current`: the store's write counter
and its files' stamps), the target is a model in it, and no model reached is loaded by an
application (their references are read from the store). Otherwise it returns None, and the
caller asks the store. It loads numpy, and neither the store's engine nor pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlsc.graph import index_cache
from mlsc.queries.indexed import downstream, reach_columns
from mlsc.queries.results import BlastRadius


def saved_blast_radius(store_dir: Path, model: str) -> BlastRadius | None:
    """The blast radius of ``model`` (a model id, not an actor or a commit) as
    :func:`mlsc.queries.blast_radius` gives it on the store at ``store_dir``, or None when
    the saved index cannot tell it alone."""
    index = index_cache.current(store_dir)
    if index is None or index.uses is None:
        return None
    try:
        seed = index.columns.find(model)
    except UnicodeEncodeError:  # not text a model id can be: the store says what it is
        return None
    if seed < 0:  # an actor, a commit, or nothing known: the store says which
        return None
    found = reach_columns(index, np.asarray([seed], dtype=np.int64), "down")
    if bool(index.uses[found.nodes].any()):
        return None
    parts = downstream(found)
    return BlastRadius(
        target=model,
        kind="model",
        seeds=(model,),
        affected=parts.affected,
        by_relation=parts.by_relation,
        by_depth=parts.by_depth,
        owners=parts.owners,
        downloads=parts.downloads,
        edges=parts.edges,
    )
