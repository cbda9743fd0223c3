"""What only the embedded store does: upgrading a knowledge base made by an older mlsc."""

from __future__ import annotations

from pathlib import Path

import ladybug

from mlsc.graph import schema
from mlsc.graph.ladybug import DB_FILE, LadybugStore
from mlsc.graph.records import GraphBatch
from tests.graph.builders import model


def test_an_older_knowledge_base_gains_the_new_properties_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    old_model = [(n, t) for n, t in schema.MODEL.properties if n not in {"aliases", "removed"}]
    db = ladybug.Database(str(tmp_path / DB_FILE))
    conn = ladybug.Connection(db)
    columns = ", ".join(f"{n} {t}" for n, t in old_model)
    conn.execute(f"CREATE NODE TABLE Model(id STRING PRIMARY KEY, {columns})")
    conn.execute("CREATE (:Model {id: 'o/old', downloads: 5, ingested: true})")
    conn.close()
    db.close()

    with LadybugStore(tmp_path) as store:
        node = store.node("Model", "o/old")
        assert node is not None and node["downloads"] == 5 and node["removed"] is None
        store.write(GraphBatch([model("o/new", aliases=["o/renamed"], removed=False)]))
        new = store.node("Model", "o/new")
        assert new is not None and new["aliases"] == ["o/renamed"] and new["removed"] is False
    with LadybugStore(tmp_path, read_only=True) as store:  # a second open changes nothing
        assert store.counts()["Model"] == 2
