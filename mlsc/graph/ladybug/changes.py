"""Which staged rows would change what is stored: a write touches only those.

Rewriting rows that already hold the same values cost LadybugDB pool pages for nothing
(each ``SET`` keeps its undo data in the buffer pool until the next checkpoint): the second
ingestion of the same 200k-model snapshot ran the default 512 MiB pool out in its ``LOAD ...
SET`` of unchanged edges. A property written as null keeps its stored value (``coalesce``),
so a row changes the store only where it brings a value that differs from the stored one.

    >>> differs(pa.array([1, None, 3]), pa.array([1, 2, None])).to_pylist()
    [False, False, True]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def differs(new: pa.Array | pa.ChunkedArray, old: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Where ``coalesce(new, old)`` is not ``old``: ``new`` has a value, and ``old`` has
    none or another one (never null)."""
    if pa.types.is_list(new.type):  # no list equality kernel: compare those in Python
        return pa.array(
            [
                a is not None and a != b
                for a, b in zip(new.to_pylist(), old.to_pylist(), strict=True)
            ],
            pa.bool_(),
        )
    same = pc.fill_null(pc.equal(new, old), False)
    return pc.and_(pc.is_valid(new), pc.invert(same))


def any_differs(new: pa.Table, old: pa.Table, names: Sequence[str]) -> pa.Array:
    """Rows (aligned in both tables) where any of the columns ``names`` differs."""
    mask = pa.repeat(False, new.num_rows)
    for name in names:
        mask = pc.or_(mask, differs(new.column(name), old.column(name)))
    return mask


def merged(new: pa.Table, old: pa.Table, names: Sequence[str]) -> dict[str, pa.Array]:
    """``coalesce(new, old)`` of each column (what a ``SET ... coalesce`` would store)."""
    out = {}
    for name in names:
        if name in new.column_names:
            out[name] = pc.coalesce(new.column(name), old.column(name))
        else:
            out[name] = old.column(name)
    return out


def last_per(groups: pa.Array, order: pa.Array) -> pa.Array:
    """Indices (ascending) of the rows with the largest ``order`` of each of ``groups``
    (both int64 without nulls)."""
    group = np.asarray(groups.to_numpy(zero_copy_only=False), dtype=np.int64)
    rank = np.asarray(order.to_numpy(zero_copy_only=False), dtype=np.int64)
    by = np.lexsort((rank, group))
    ends = np.ones(len(by), dtype=bool)
    ends[:-1] = group[by][1:] != group[by][:-1]
    return pa.array(np.sort(by[ends]), pa.int64())
