"""Per-model columns of the lineage index, by dense number: what an answer gathers by index.

    >>> columns = ModelColumns.build(models, size)            # doctest: +SKIP
    >>> columns.ids.take(nodes), columns.downloads[nodes]      # doctest: +SKIP

Built once with the index from the scan of the models (pyarrow, at build time only) and
saved with it as plain numpy arrays, so a query gathers the owner, downloads and sort
position of the models it reached by fancy indexing, sorts them with one integer key, and
turns ids and owner names into text only for the rows it hands out.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pyarrow as pa

Ints = npt.NDArray[np.int64]
Bytes = npt.NDArray[np.uint8]
ARROW_FROM = 512
"""From this many strings, Arrow gathers them when pyarrow is loaded already (its conversion
to Python strings runs in C++, about 4x faster than slicing and decoding each here, but costs
a fixed ~0.1 ms; importing pyarrow for it alone would cost more than it saves)."""


@dataclass(frozen=True)
class Texts:
    """Strings as Arrow lays them out: ``data[offsets[i]:offsets[i + 1]]`` is string ``i``
    in UTF-8 (a missing one is empty)."""

    offsets: Ints
    data: Bytes

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def get(self, i: int) -> str:
        return str(self.data.data[int(self.offsets[i]) : int(self.offsets[i + 1])], "utf-8")

    def take(self, numbers: Ints) -> list[str | None]:
        """The strings at ``numbers``, None where a number is negative."""
        nums = np.asarray(numbers, dtype=np.int64)
        if len(nums) >= ARROW_FROM and "pyarrow" in sys.modules:
            import pyarrow as pa

            taken = self.arrow.take(pa.array(nums, mask=nums < 0))
            return list(taken.to_numpy(zero_copy_only=False).tolist())
        data = self.data.data
        safe = np.maximum(nums, 0)  # a negative one reads string 0 (or nothing), then None
        ends_at = np.minimum(safe + 1, len(self.offsets) - 1)
        starts = self.offsets[np.minimum(safe, ends_at)].tolist()
        ends = self.offsets[ends_at].tolist()
        out: list[str | None] = [str(data[a:b], "utf-8") for a, b in zip(starts, ends, strict=True)]
        if nums.size and int(nums.min()) < 0:
            for at in np.flatnonzero(nums < 0).tolist():
                out[at] = None
        return out

    def take_repeated(self, numbers: Ints) -> list[str | None]:
        """:meth:`take` for numbers that repeat (the authors of many models, the parents
        they derive from): each distinct string is decoded once."""
        nums = np.asarray(numbers, dtype=np.int64)
        if len(nums) < 2:
            return self.take(nums)
        order = np.argsort(nums, kind="stable")
        ranked = nums[order]
        first = np.empty(len(nums), dtype=bool)
        first[0] = True
        np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
        distinct = self.take(ranked[first])
        slot = np.empty(len(nums), dtype=np.int64)
        slot[order] = np.cumsum(first) - 1
        return [distinct[i] for i in slot.tolist()]

    @cached_property
    def arrow(self) -> pa.Array:
        """The strings as one Arrow large-string array over the same buffers (zero copy)."""
        import pyarrow as pa

        return pa.LargeStringArray.from_buffers(
            len(self), pa.py_buffer(self.offsets), pa.py_buffer(self.data)
        )

    def to_arrow(self) -> pa.Array:
        """The strings as one Arrow string array (offsets narrowed to 32 bits: a copy)."""
        import pyarrow as pa

        return self.arrow.cast(pa.string())

    @classmethod
    def from_arrow(cls, array: pa.Array) -> Texts:
        """From an Arrow string array; nulls become empty strings."""
        import pyarrow as pa
        import pyarrow.compute as pc

        array = pc.fill_null(array, "").cast(pa.large_string())
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        _, offsets_buf, data_buf = array.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
            array.offset : array.offset + len(array) + 1
        ]
        start, end = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
        data = (
            np.frombuffer(data_buf, dtype=np.uint8)[start:end]
            if data_buf
            else np.zeros(0, np.uint8)
        )
        return cls(
            np.ascontiguousarray(offsets - start, dtype=np.int64)
            if len(offsets)
            else np.zeros(1, np.int64),
            np.array(data, dtype=np.uint8),
        )


@dataclass(frozen=True)
class ModelColumns:
    """Per dense number of the lineage index (models absent from the store have rank -1)."""

    ids: Texts
    by_id: Ints
    """The dense numbers of the models in id order (UTF-8 byte order): for binary search."""
    rank: Ints
    """Position of the model's id in id order; -1 for a number without a model."""
    order: Ints
    """Position of the model in answer order within a depth: downloads (most first), id."""
    owner: Ints
    """Number of the model's author in ``owners``; -1 when it has none."""
    owners: Texts
    """Distinct authors, sorted (so sorted owner numbers are sorted names)."""
    downloads: Ints
    """Downloads, 0 where unknown."""
    downloads_known: npt.NDArray[np.bool_]
    ingested: npt.NDArray[np.int8]
    """1 true, 0 false, -1 unknown."""

    @property
    def size(self) -> int:
        return len(self.rank)

    def find(self, model: str) -> int:
        """The dense number of ``model``, or -1: a binary search over the sorted ids."""
        key = model.encode()
        data, offsets, by_id = self.ids.data.data, self.ids.offsets, self.by_id
        lo, hi = 0, len(by_id)
        while lo < hi:
            mid = (lo + hi) // 2
            v = int(by_id[mid])
            if bytes(data[int(offsets[v]) : int(offsets[v + 1])]) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(by_id):
            v = int(by_id[lo])
            if bytes(data[int(offsets[v]) : int(offsets[v + 1])]) == key:
                return v
        return -1

    def authors(self, nodes: Ints) -> list[str | None]:
        return self.owners.take_repeated(self.owner[nodes])

    def downloads_of(self, nodes: Ints) -> list[int | None]:
        out: list[int | None] = list(self.downloads[nodes].tolist())
        unknown = np.flatnonzero(~self.downloads_known[nodes])
        for at in unknown.tolist():
            out[at] = None
        return out

    def ingested_of(self, nodes: Ints) -> list[bool | None]:
        values = (False, True, None)
        return [values[i] for i in self.ingested[nodes].tolist()]

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The numpy arrays that are these columns (what :meth:`from_arrays` takes back)."""
        return {
            "ids.offsets": self.ids.offsets,
            "ids.data": self.ids.data,
            "by_id": self.by_id,
            "rank": self.rank,
            "order": self.order,
            "owner": self.owner,
            "owners.offsets": self.owners.offsets,
            "owners.data": self.owners.data,
            "downloads": self.downloads,
            "downloads_known": self.downloads_known,
            "ingested": self.ingested,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], size: int) -> ModelColumns:
        """Columns from :meth:`arrays`' parts, checked: a ValueError when they do not fit."""
        columns = cls(
            Texts(arrays["ids.offsets"], arrays["ids.data"]),
            arrays["by_id"],
            arrays["rank"],
            arrays["order"],
            arrays["owner"],
            Texts(arrays["owners.offsets"], arrays["owners.data"]),
            arrays["downloads"],
            arrays["downloads_known"],
            arrays["ingested"],
        )
        per_model: Sequence[npt.NDArray[Any]] = (
            columns.rank,
            columns.order,
            columns.owner,
            columns.downloads,
            columns.downloads_known,
            columns.ingested,
        )
        texts = (columns.ids, columns.owners)
        fits = (
            all(len(a) == size and a.ndim == 1 for a in per_model)
            and len(columns.ids) == size
            and all(t.data.dtype == np.uint8 and t.offsets.dtype == np.int64 for t in texts)
            and all(len(t.offsets) >= 1 and int(t.offsets[-1]) == len(t.data) for t in texts)
            and len(columns.by_id) <= size
            and (size == 0 or int(columns.owner.max(initial=-1)) < len(columns.owners))
            and (not len(columns.by_id) or int(columns.by_id.max()) < size)
        )
        if not fits:
            raise ValueError("the model columns of the lineage index do not fit together")
        return columns

    @classmethod
    def build(cls, models: pa.Table, size: int) -> ModelColumns:
        """From the scan of the models: columns o (dense number) and id, and where present
        author, downloads, ingested."""
        import pyarrow as pa
        import pyarrow.compute as pc

        o = np.asarray(models.column("o").to_numpy(), dtype=np.int64)
        rows = models.num_rows
        row = np.full(size, -1, dtype=np.int64)
        row[o] = np.arange(rows, dtype=np.int64)
        ids = models.column("id").combine_chunks()
        by_id = o[np.asarray(pc.sort_indices(ids).to_numpy(), dtype=np.int64)]
        rank = np.full(size, -1, dtype=np.int64)
        rank[by_id] = np.arange(rows, dtype=np.int64)
        names = set(models.column_names)
        downloads = np.zeros(size, dtype=np.int64)
        known = np.zeros(size, dtype=bool)
        if "downloads" in names:
            column = models.column("downloads").combine_chunks()
            downloads[o] = np.asarray(pc.fill_null(column, 0).to_numpy(), dtype=np.int64)
            known[o] = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        answer = o[np.lexsort((rank[o], -downloads[o]))]
        order = np.full(size, -1, dtype=np.int64)
        order[answer] = np.arange(rows, dtype=np.int64)
        owner = np.full(size, -1, dtype=np.int64)
        owners = pa.array([], pa.string())
        if "author" in names:
            encoded = pc.dictionary_encode(models.column("author").combine_chunks())
            by_name = np.asarray(pc.sort_indices(encoded.dictionary).to_numpy(), dtype=np.int64)
            renumber = np.empty(len(by_name), dtype=np.int64)
            renumber[by_name] = np.arange(len(by_name), dtype=np.int64)
            codes = encoded.indices
            valid = np.asarray(codes.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            raw = np.asarray(pc.fill_null(codes, 0).to_numpy(), dtype=np.int64)
            owner[o[valid]] = renumber[raw[valid]]
            owners = encoded.dictionary.take(pa.array(by_name))
        ingested = np.full(size, -1, dtype=np.int8)
        if "ingested" in names:
            column = models.column("ingested").combine_chunks()
            flags = np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False))
            valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            ingested[o] = np.where(valid, flags.astype(np.int8), -1)
        dense_ids = ids.take(pa.array(row, mask=row < 0))
        return cls(
            Texts.from_arrow(dense_ids),
            by_id,
            rank,
            order,
            owner,
            Texts.from_arrow(owners),
            downloads,
            known,
            ingested,
        )
