"""The lineage index built from id pairs alone, as whole-graph rankings use it."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_searches_reuse_their_scratch_and_leave_it_clean() -> None:
    chain = [(f"c/{i + 1}", f"c/{i}") for i in range(80)]  # wider than a small frontier
    fan = [(f"f/{i}", "c/0") for i in range(100)]
    index = LineageIndex.from_pairs(chain + fan)
    root = np.array([index.number["c/0"]], dtype=np.int64)
    leaf = np.array([index.number["c/80"]], dtype=np.int64)
    assert [index.reach(root) for _ in range(3)] == [181, 181, 181]
    with index.searching(leaf, "up") as up:
        assert up.depth.tolist() == list(range(81))
        assert index.reach(root) == 181  # a search inside a search has its own scratch
        assert int(up.dist[root[0]]) == 81
    with index.searching(root, "down") as down:
        assert int(down.dist.sum()) == 1 + 80 * 81 // 2 + 80 + 100 * 2
    assert index.bfs(leaf, "up")[0].size == 81


def test_an_interrupted_search_leaves_no_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    index = LineageIndex.from_pairs([("a/b", "a/a"), ("a/c", "a/b")])
    root = np.array([index.number["a/a"]], dtype=np.int64)

    def interrupted(csr: object, frontier: np.ndarray, dist: np.ndarray, levels: object) -> None:
        dist[:] = 7  # marks set, then the search stops halfway
        raise KeyboardInterrupt

    monkeypatch.setattr(LineageIndex, "_walk_small", staticmethod(interrupted))
    with pytest.raises(KeyboardInterrupt):
        index.reach(root)
    monkeypatch.undo()
    assert index.reach(root) == 3
    with index.searching(root, "down") as found:
        assert found.depth.tolist() == [0, 1, 2]
