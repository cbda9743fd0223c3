"""The lineage index built from id pairs alone, as whole-graph rankings use it."""

from __future__ import annotations

import numpy as np

from mlsc.graph.lineage_index import LineageIndex
from tests.graph.builders import DIAMOND


def test_from_pairs_numbers_every_id_and_reaches_down() -> None:
    index = LineageIndex.from_pairs(((c, p) for c, p, _ in DIAMOND), ["lone/model"])
    assert set(index.number) == {i for c, p, _ in DIAMOND for i in (c, p)} | {"lone/model"}
    assert index.size == len(index.number) == 9
    root = np.array([index.number["o/r"]], dtype=np.int64)
    assert index.reach(root) == 6  # r, a, b, m, mm, q
    assert index.reach(np.array([index.number["lone/model"]], dtype=np.int64)) == 1
    children = index.children_lists()
    assert sorted(index.ids(np.array(children[index.number["o/a"]])).to_pylist()) == [
        "p/m", "p/mm"
    ]  # fmt: skip


def test_from_pairs_on_a_cycle_visits_each_model_once() -> None:
    index = LineageIndex.from_pairs([("a/x", "a/y"), ("a/y", "a/x"), ("a/z", "a/y")])
    assert index.reach(np.array([index.number["a/x"]], dtype=np.int64)) == 3
    assert index.reach(np.array([], dtype=np.int64)) == 0
