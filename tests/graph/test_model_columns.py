"""Per-model columns of the lineage index: gathered by dense number, ids found by binary
search, owners numbered in name order, nulls kept apart from values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from mlsc.graph.model_columns import ModelColumns, Texts

MODELS = pa.table(
    {
        "o": pa.array([3, 0, 1], pa.int64()),  # number 2 has no model (a deleted one)
        "id": ["z/é-model", "a/one", "m/two"],
        "author": ["zed", None, "amy"],
        "downloads": pa.array([5, None, 5], pa.int64()),
        "ingested": [True, False, None],
    }
)


@pytest.fixture
def columns() -> ModelColumns:
    return ModelColumns.build(MODELS, 4)


def test_ids_and_owners_are_gathered_by_number(columns: ModelColumns) -> None:
    nodes = np.array([3, 0, 1], dtype=np.int64)
    assert columns.ids.take(nodes) == ["z/é-model", "a/one", "m/two"]
    assert columns.ids.take(np.array([1, -1], dtype=np.int64)) == ["m/two", None]
    assert columns.authors(nodes) == ["zed", None, "amy"]
    assert columns.downloads_of(nodes) == [5, None, 5]
    assert columns.ingested_of(nodes) == [True, False, None]
    assert columns.owners.take(np.arange(2, dtype=np.int64)) == ["amy", "zed"]


def test_find_is_exact(columns: ModelColumns) -> None:
    assert [columns.find(m) for m in ("a/one", "m/two", "z/é-model")] == [0, 1, 3]
    assert [columns.find(m) for m in ("", "a/on", "m/two2", "zz")] == [-1, -1, -1, -1]
    assert columns.rank.tolist() == [0, 1, -1, 2]


def test_answer_order_is_downloads_most_first_then_id(columns: ModelColumns) -> None:
    # m/two and z/é-model have 5 downloads, a/one none (counted as 0)
    assert columns.order.tolist() == [2, 0, -1, 1]


def test_empty_texts_give_none_for_missing() -> None:
    empty = Texts.from_arrow(pa.array([], pa.string()))
    assert len(empty) == 0
    assert empty.take(np.array([-1, -1], dtype=np.int64)) == [None, None]


def test_the_arrays_come_back_checked(columns: ModelColumns) -> None:
    again = ModelColumns.from_arrays(columns.arrays(), 4)
    assert again.ids.take(np.arange(4, dtype=np.int64)) == ["a/one", "m/two", "", "z/é-model"]
    with pytest.raises(ValueError):
        ModelColumns.from_arrays(columns.arrays(), 5)


def test_many_strings_are_taken_alike(columns: ModelColumns) -> None:
    numbers = np.array([3, -1, 0, 1] * 200, dtype=np.int64)  # past ARROW_FROM
    assert columns.ids.take(numbers) == ["z/é-model", None, "a/one", "m/two"] * 200
