"""Which staged rows would change the embedded store (``mlsc.graph.ladybug.changes``)."""

from __future__ import annotations

import pyarrow as pa

from mlsc.graph.ladybug.changes import any_differs, differs, last_per, merged


def test_a_value_differs_only_when_it_is_given_and_not_stored_as_such() -> None:
    new = pa.array(["a", None, "c", "d", None])
    old = pa.array(["a", "b", None, "x", None])
    assert differs(new, old).to_pylist() == [False, False, True, True, False]


def test_lists_compare_whole_and_an_empty_list_is_a_value() -> None:
    t = pa.list_(pa.string())
    new = pa.array([["a"], ["a", "b"], [], None, []], t)
    old = pa.array([["a"], ["a"], None, ["z"], []], t)
    assert differs(new, old).to_pylist() == [False, True, True, False, False]


def test_rows_differ_in_any_column_and_merge_like_a_coalescing_set() -> None:
    new = pa.table({"x": [1, None, 3], "y": ["p", "q", None]})
    old = pa.table({"x": [1, 2, 3], "y": ["p", "r", "s"], "z": [True, False, None]})
    assert any_differs(new, old, ["x", "y"]).to_pylist() == [False, True, False]
    out = merged(new, old, ["x", "y", "z"])
    assert {k: v.to_pylist() for k, v in out.items()} == {
        "x": [1, 2, 3],
        "y": ["p", "q", "s"],
        "z": [True, False, None],
    }


def test_last_per_keeps_the_latest_row_of_each_group_in_row_order() -> None:
    groups = pa.array([7, 3, 7, 3, 9], pa.int64())
    order = pa.array([0, 5, 2, 1, 4], pa.int64())
    assert last_per(groups, order).to_pylist() == [1, 2, 4]
