"""A table's columns as Cypher parameters, and graph values back as plain data.

>>> cols = Columns.of({"downloads": [1, 2], "source": ["hub", "hub"]}, 2)
>>> cols.assignments("n", keep_stored=True)
'n.source = $s_source, n.downloads = coalesce($l_downloads[i], n.downloads)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsc.graph.records import as_list

_ALL_NULL = object()
_VARIES = object()


def _constant(values: Any, n: int) -> Any:
    """The one value of a column if every row has it, ``_ALL_NULL`` if none has a value,
    else ``_VARIES``."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if values.null_count == n:
            return _ALL_NULL
        if values.null_count or pa.types.is_nested(values.type):
            return _VARIES
        try:
            distinct = pc.count_distinct(values).as_py()
        except pa.ArrowNotImplementedError:
            return _VARIES
        return values[0].as_py() if distinct == 1 else _VARIES
    values = list(values)
    first = values[0]
    if first is None:
        return _ALL_NULL if values.count(None) == n else _VARIES
    kind = type(first)
    if values.count(first) == n and all(type(v) is kind for v in values):
        return first
    return _VARIES


@dataclass(frozen=True)
class Columns:
    """A table's properties as Cypher parameters: a list per column that varies, a single
    value per column that does not (the provenance of a whole snapshot, say), and nothing
    for a column without values (a null never overwrites). Lists of plain values pack far
    faster into Bolt messages than a map per row, and the server reads them by index."""

    lists: dict[str, list[Any]]
    scalars: dict[str, Any]

    @classmethod
    def of(cls, columns: Mapping[str, Any], n: int) -> Columns:
        lists: dict[str, list[Any]] = {}
        scalars: dict[str, Any] = {}
        for name, values in columns.items():
            if n == 0:
                break
            one = _constant(values, n)
            if one is _VARIES:
                lists[name] = as_list(values)
            elif one is not _ALL_NULL:
                scalars[name] = one
        return cls(lists, scalars)

    def take(self, rows: list[int]) -> Columns:
        return Columns({k: [v[i] for i in rows] for k, v in self.lists.items()}, self.scalars)

    def assignments(self, var: str, *, keep_stored: bool) -> str:
        """``var.p = value`` for every property; with ``keep_stored``, a null row value keeps
        the stored one instead of removing it."""
        out = [f"{var}.{name} = $s_{name}" for name in self.scalars]
        for name in self.lists:
            value = f"$l_{name}[i]"
            out.append(
                f"{var}.{name} = coalesce({value}, {var}.{name})"
                if keep_stored
                else f"{var}.{name} = {value}"
            )
        return ", ".join(out)

    def params(self, a: int, b: int) -> dict[str, Any]:
        p = {f"s_{k}": v for k, v in self.scalars.items()}
        p.update((f"l_{k}", v[a:b]) for k, v in self.lists.items())
        return p


def plain(value: Any) -> Any:
    """Graph values as plain data (nodes and relationships become their properties)."""
    if hasattr(value, "items") and hasattr(value, "element_id"):
        return dict(value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
