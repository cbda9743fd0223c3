"""The JSON of query results: fields as they are, and the same column under both names."""

from __future__ import annotations

from mlsc.queries.results import LineageEntry, LineageResult, Ranked, Reach, plain


def test_a_lineage_entry_names_its_owner_as_blast_radius_json_does() -> None:
    entry = LineageEntry("o/m", 1, "finetune", "o/base", "o", 5, True)
    data = entry.to_json()
    assert data["author"] == data["owner"] == "o"
    assert list(data)[:7] == ["id", "depth", "relation", "via", "author", "downloads", "ingested"]


def test_json_fields_are_the_fields_in_order_made_plain() -> None:
    entry = LineageEntry("o/m", 1, "finetune", "o/base", None, None, False)
    result = LineageResult("o/base", (), (entry,), (("a", "b"),), (("o/m", "o/base", "x"),))
    assert result.to_json() == {
        "model": "o/base",
        "ancestors": [],
        "descendants": [entry.to_json()],
        "cycles": [["a", "b"]],
    }  # edges are for drawing only
    assert Reach("u", 1, 2, 3, ("org",)).to_json() == {
        "actor": "u", "direct": 1, "transitive": 2, "total": 3, "organisations": ["org"],
        "overlap": 0,
    }  # fmt: skip
    assert Reach("u", 2, 162, 163, ()).to_json()["overlap"] == 1
    assert Ranked("o/m", 4, 2).to_json() == {"id": "o/m", "reach": 4, "direct": 2}
    assert plain({"k": (1, "two", None, {"n": [Ranked("x", 0, 0)]})}) == {
        "k": [1, "two", None, {"n": [{"id": "x", "reach": 0, "direct": 0}]}]
    }
