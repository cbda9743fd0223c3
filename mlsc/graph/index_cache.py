"""The lineage index saved beside the embedded store, so a query process maps it from disk
instead of rebuilding it from two column scans (about a second at a million models).

    >>> index = cached(kb_dir, build)                  # doctest: +SKIP
    >>> index = current(kb_dir)                        # doctest: +SKIP

Only stores opened read-only save one: LadybugDB lets no process write while they are open,
and a read-write open changes the database file when it closes (a checkpoint), so an index
saved by one would never be found again. :func:`current` reads files only (this module
imports neither the engine nor pyarrow): a query process can answer from a current index
without opening the database at all.

Layout: ``DIR/lineage-index/<key>/`` holds the index's numpy arrays (the derivations both
ways, the per-model columns, ids and owner names as UTF-8 bytes with offsets, and how many
applications load each model) as plain ``.npy`` files, memory-mapped on load with numpy
alone, plus ``meta.json`` with the relation names and every file's size. ``<key>`` digests
the stamp: this format's version, mlsc's version, the store's write counter
(``DIR/write-version``, bumped before every write and every read-write open) and the size and
modification time of each LadybugDB file (so a write by another program, or an older mlsc,
also misses). A stale index is therefore never found, only rebuilt. A build is written to a
temporary directory and renamed into place, so concurrent readers see a whole index or none;
a missing, truncated or unreadable one is rebuilt without error; a store directory the user
cannot write keeps its index in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlsc import __version__
from mlsc.graph.lineage_index import LineageIndex

DB_FILE = "graph.lbug"
"""The database file in the store directory (the engine adds its write-ahead log beside it,
``graph.lbug.wal``: every ``graph.lbug*`` file is stamped)."""
FORMAT = 3
"""Bump when the saved layout or the meaning of an array changes (3: with the number of
applications loading each model; 2: everything in ``.npy`` files, with the per-model
columns; 1 kept the models and relations as Arrow IPC)."""
CACHE_DIR = "lineage-index"
COUNTER_FILE = "write-version"
META = "meta.json"


def cached(store_dir: Path, build: Callable[[], LineageIndex]) -> LineageIndex:
    """The saved index of the store at ``store_dir`` if it is current, else ``build()``'s,
    saved for the next process."""
    store_stamp = stamp(store_dir)  # before the scans: a later write changes it
    index = load(store_dir, store_stamp)
    if index is None:
        index = build()
        save(store_dir, store_stamp, index)
    return index


def current(store_dir: Path) -> LineageIndex | None:
    """The saved index of the store at ``store_dir`` when one is current for the store as it
    is now, else None: from files alone (no database opened, nothing built; what a reader
    finds is what a read-only store of the same moment would use)."""
    try:
        store_stamp = stamp(store_dir)
    except OSError:  # a file went while it was stamped (a writer checkpointing)
        return None
    return load(store_dir, store_stamp)


def bump_write_version(store_dir: Path) -> None:
    """Count one more write to the store at ``store_dir`` (atomically: temp file + rename).

    Every writer calls it before it opens the database for writing and before each write,
    so that no index saved before is current after. The count carries a random tag: two
    writers that read the same count and bump it together still leave a value no saved
    index was stamped with."""
    counter = _write_version(store_dir) + 1
    fd, tmp = tempfile.mkstemp(dir=store_dir, prefix=f".{COUNTER_FILE}-")
    with os.fdopen(fd, "w") as f:
        f.write(f"{counter} {os.urandom(6).hex()}\n")
    os.replace(tmp, store_dir / COUNTER_FILE)


def _counter(store_dir: Path) -> str:
    """The write counter as written (``0`` for a store never written by mlsc)."""
    try:
        return (store_dir / COUNTER_FILE).read_text().strip() or "0"
    except OSError:
        return "0"


def _write_version(store_dir: Path) -> int:
    try:
        return int(_counter(store_dir).split()[0])
    except ValueError:
        return 0


def stamp(store_dir: Path) -> str:
    """What the saved index must have been built from: versions, write counter, files."""
    parts = [f"format={FORMAT}", f"mlsc={__version__}", f"writes={_counter(store_dir)}"]
    for path in sorted(store_dir.glob(DB_FILE + "*")):
        st = path.stat()
        parts.append(f"{path.name}={st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _key(store_stamp: str) -> str:
    return hashlib.sha256(store_stamp.encode()).hexdigest()[:24]


# -- saving --------------------------------------------------------------------------------


def save(store_dir: Path, store_stamp: str, index: LineageIndex) -> None:
    """Save ``index`` for the store state ``store_stamp``; quietly nothing when the store
    directory cannot be written (a read-only mount, another user's knowledge base)."""
    root = store_dir / CACHE_DIR
    final = root / _key(store_stamp)
    if final.exists():
        return
    try:
        root.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".building-"))
        tmp.chmod(0o755)  # readable by whoever may read the store
    except OSError:
        return
    try:
        _write(tmp, store_stamp, index)
        os.rename(tmp, final)  # atomic; fails if another process got there first
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    _drop_others(root, keep=final.name)


def _write(tmp: Path, store_stamp: str, index: LineageIndex) -> None:
    sizes = {}
    for name, array in index.arrays().items():
        np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
        sizes[f"{name}.npy"] = (tmp / f"{name}.npy").stat().st_size
    meta = {
        "stamp": store_stamp,
        "sizes": sizes,
        "size": index.size,
        "relations": list(index.relations),
    }
    (tmp / META).write_text(json.dumps(meta))


def _drop_others(root: Path, keep: str) -> None:
    """Remove indexes of earlier store states (a process still mapping one keeps reading
    it: unlinked files live until unmapped). Leftover temporary directories older than an
    hour (a crashed build) go too."""
    for entry in root.iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith(".building-"):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime > time.time() - 3600:
                    continue  # maybe another process's build in progress
        shutil.rmtree(entry, ignore_errors=True)


# -- loading -------------------------------------------------------------------------------


def load(store_dir: Path, store_stamp: str) -> LineageIndex | None:
    """The saved index for ``store_stamp``, memory-mapped, or None when there is none or it
    is damaged (a damaged one is removed, for the next build to replace)."""
    folder = store_dir / CACHE_DIR / _key(store_stamp)
    if not folder.is_dir():
        return None
    try:
        return _read(folder, store_stamp)
    except (OSError, ValueError, KeyError, TypeError):
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _read(folder: Path, store_stamp: str) -> LineageIndex:
    meta = json.loads((folder / META).read_text())
    if meta["stamp"] != store_stamp:
        raise ValueError("another store state")
    for name, size in meta["sizes"].items():
        if (folder / name).stat().st_size != size:
            raise ValueError(f"{name} is truncated")
    # np.asarray: plain arrays over the mapping (a memmap's indexing goes through Python)
    arrays = {
        name[: -len(".npy")]: np.asarray(np.load(folder / name, mmap_mode="r", allow_pickle=False))
        for name in meta["sizes"]
        if name.endswith(".npy")
    }
    relations = meta["relations"]
    if not isinstance(relations, list) or not all(
        r is None or isinstance(r, str) for r in relations
    ):
        raise ValueError("relation names are not a list of strings")
    index = LineageIndex.restore(relations, arrays)
    if index.size != meta["size"]:
        raise ValueError("inconsistent index")
    return index
