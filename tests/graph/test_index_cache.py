"""The lineage index saved beside the embedded store: found by the next read-only process,
never once stale, rebuilt quietly when damaged, kept in memory where it cannot be saved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlsc.graph import index_cache
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import GraphBatch
from mlsc.graph.store import GraphStore
from tests.graph.builders import DIAMOND, lineage_batch

REPO = Path(__file__).resolve().parents[2]

WRITE = """
import sys
from mlsc.graph.ladybug import LadybugStore
from tests.graph.builders import lineage_batch
with LadybugStore(sys.argv[1]) as store:
    store.write(lineage_batch([(sys.argv[2], sys.argv[3], "finetune")]))
"""

AFFECTED = """
import sys
from mlsc.graph.ladybug import LadybugStore
with LadybugStore(sys.argv[1], read_only=True) as store:
    depth = store.expand([sys.argv[2]], "down").depth
    print(" ".join(sorted(m for m, d in depth.items() if d > 0)))
"""


def run(code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


def affected(store: GraphStore, model: str) -> dict[str, object]:
    """Everything the store's expansion from ``model`` downwards returns."""
    expansion = store.expand([model], "down")
    return {"models": expansion.models.to_pylist(), "edges": expansion.edges.to_pylist()}


def saved(db: Path) -> list[Path]:
    return [p for p in (db / index_cache.CACHE_DIR).iterdir() if not p.name.startswith(".")]


def test_a_write_in_another_process_is_seen_by_the_next_query(tmp_path: Path) -> None:
    run(WRITE, str(tmp_path), "o/b", "o/a")
    assert run(AFFECTED, str(tmp_path), "o/a") == "o/b"
    assert len(saved(tmp_path)) == 1  # the first query saved the index
    assert run(AFFECTED, str(tmp_path), "o/a") == "o/b"  # the second mapped it
    run(WRITE, str(tmp_path), "o/c", "o/b")
    assert run(AFFECTED, str(tmp_path), "o/a") == "o/b o/c"
    assert len(saved(tmp_path)) == 1  # the stale one is gone


def test_a_saved_index_gives_the_built_answer(tmp_path: Path) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
        built = affected(store, "o/r")
    for _ in range(2):  # saves, then maps
        with LadybugStore(tmp_path, read_only=True) as store:
            assert affected(store, "o/r") == built
            assert store.derivation_cycles() == []


def writes(db: Path) -> str:
    (line,) = [x for x in index_cache.stamp(db).splitlines() if x.startswith("writes=")]
    return line


def test_every_write_and_read_write_open_is_counted_beside_the_files_stamps(
    tmp_path: Path,
) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
    before = writes(tmp_path)
    with LadybugStore(tmp_path) as store:
        opened = writes(tmp_path)
        store.write(GraphBatch([]))
        wrote = writes(tmp_path)
    with LadybugStore(tmp_path, read_only=True):
        read = writes(tmp_path)
    assert before.startswith("writes=2 ")  # the open and the write
    assert opened.startswith("writes=3 ") and wrote.startswith("writes=4 ")
    assert read == wrote  # a read-only open is no write


def test_two_bumps_of_the_same_count_leave_different_stamps(tmp_path: Path) -> None:
    (tmp_path / index_cache.COUNTER_FILE).write_text("7\n")
    index_cache.bump_write_version(tmp_path)
    first = writes(tmp_path)
    (tmp_path / index_cache.COUNTER_FILE).write_text("7\n")  # a writer that read 7 too
    index_cache.bump_write_version(tmp_path)
    assert first.startswith("writes=8 ") and writes(tmp_path).startswith("writes=8 ")
    assert writes(tmp_path) != first


def test_the_stamp_names_the_format_and_the_mlsc_version(tmp_path: Path) -> None:
    stamp = index_cache.stamp(tmp_path)
    assert f"format={index_cache.FORMAT}" in stamp and "mlsc=" in stamp


@pytest.mark.parametrize("damage", ["truncate", "garbage", "meta", "empty-dir"])
def test_a_damaged_index_is_rebuilt_without_error(tmp_path: Path, damage: str) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
        built = affected(store, "o/r")
    with LadybugStore(tmp_path, read_only=True) as store:
        affected(store, "o/r")
    (folder,) = saved(tmp_path)
    target = folder / "children.indices.npy"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-8])
    elif damage == "garbage":
        target.write_bytes(b"\x93NUMPY" + b"\xff" * (target.stat().st_size - 6))
    elif damage == "meta":
        (folder / index_cache.META).write_text("{")
    else:
        for f in folder.iterdir():
            f.unlink()
    with LadybugStore(tmp_path, read_only=True) as store:
        assert affected(store, "o/r") == built
    with LadybugStore(tmp_path, read_only=True) as store:  # and the rebuilt one is saved
        assert index_cache.load(tmp_path, index_cache.stamp(tmp_path)) is not None
        assert affected(store, "o/r") == built


def test_a_store_the_user_cannot_write_keeps_its_index_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
        built = affected(store, "o/r")

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_cache.tempfile, "mkdtemp", refuse)
    with LadybugStore(tmp_path, read_only=True) as store:
        assert affected(store, "o/r") == built
    assert saved(tmp_path) == []


def test_a_writable_store_does_not_save_an_index(tmp_path: Path) -> None:
    with LadybugStore(tmp_path) as store:
        store.write(lineage_batch(DIAMOND))
        affected(store, "o/r")
    assert not (tmp_path / index_cache.CACHE_DIR).exists()
