"""Which files of a tree the code reader reads, in a fixed order.

    >>> from pathlib import Path
    >>> [entry.kind for entry in walk(Path(__file__))]
    ['python']

The walk never follows a symbolic link: a linked file or directory is reported (``skipped``)
with where it points, so a link out of the tree is not read and a linked directory cannot
loop. Directories that hold other people's code or generated files (:data:`SKIP_DIRS`, any
``*.egg-info``, any virtual environment, i.e. a directory with a ``pyvenv.cfg``) are not
entered. Files above their kind's size limit (:data:`SIZE_LIMITS`) are reported too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FileKind = Literal["python", "notebook", "yaml", "json"]
KINDS: dict[str, FileKind] = {
    ".py": "python", ".pyw": "python", ".ipynb": "notebook", ".yaml": "yaml", ".yml": "yaml",
    ".json": "json",
}  # fmt: skip
SIZE_LIMITS: dict[FileKind, int] = {
    "python": 2 * 1024 * 1024,
    "notebook": 20 * 1024 * 1024,
    "yaml": 2 * 1024 * 1024,
    "json": 2 * 1024 * 1024,
}
"""Bytes: larger files are generated data, not code someone wrote (and cost time to parse)."""
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
    "site-packages", "dist-packages", "build", "dist", ".eggs", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".ipynb_checkpoints", ".cache",
})  # fmt: skip
SKIP_FILES = frozenset({
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "composer.json", "composer.lock",
    "Pipfile.lock", "tsconfig.json", "jsconfig.json", ".eslintrc.json", "renovate.json",
    "tokenizer.json", "vocab.json", "tokenizer_config.json", "special_tokens_map.json",
})  # fmt: skip
"""JSON that never names a model to load (packaging, lock files, tokenizer data)."""


def skipped_dir(name: str) -> bool:
    """A directory of other people's code or of generated files (a virtual environment is
    known only by its ``pyvenv.cfg``, which the caller checks)."""
    return name in SKIP_DIRS or name.endswith(".egg-info")


def file_kind(name: str) -> FileKind | None:
    """The kind of file the reader reads ``name`` as; None: not one it reads."""
    kind = KINDS.get(os.path.splitext(name)[1].lower())
    if kind is None or name in SKIP_FILES or name.endswith(".lock.json"):
        return None
    return kind


@dataclass(frozen=True)
class Entry:
    """One file the walk found: to read (``kind``) or to report (``problem``)."""

    path: Path
    relative: str
    kind: FileKind | None
    problem: str | None = None


def walk(root: Path) -> Iterator[Entry]:
    """Files under ``root`` (or ``root`` itself when it is a file), sorted by relative path."""
    if not root.is_dir():
        kind = KINDS.get(root.suffix.lower())
        if kind is not None or root.suffix.lower() in KINDS:
            yield _entry(root, root.name, kind)
        return
    entries: list[Entry] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(directory)
        keep = []
        for name in dirnames:
            path = base / name
            if path.is_symlink():
                entries.append(_link(root, path))
            elif not skipped_dir(name) and not (path / "pyvenv.cfg").exists():
                keep.append(name)
        dirnames[:] = sorted(keep)
        for name in filenames:
            kind = file_kind(name)
            if kind is None:
                continue
            path = base / name
            relative = path.relative_to(root).as_posix()
            entries.append(_link(root, path) if path.is_symlink() else _entry(path, relative, kind))
    entries.sort(key=lambda entry: entry.relative)
    yield from entries


def _entry(path: Path, relative: str, kind: FileKind | None) -> Entry:
    if kind is None:
        return Entry(path, relative, None, "not a kind of file the reader knows")
    try:
        size = path.stat().st_size
    except OSError as error:
        return Entry(path, relative, None, f"cannot be read: {error.strerror or error}")
    limit = SIZE_LIMITS[kind]
    if size > limit:
        return Entry(path, relative, None, f"too large ({size:,} bytes; the limit is {limit:,})")
    return Entry(path, relative, kind)


def _link(root: Path, path: Path) -> Entry:
    relative = path.relative_to(root).as_posix()
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Entry(path, relative, None, "symbolic link that leads nowhere (or loops), not followed")
    try:
        inside = target.relative_to(root.resolve()).as_posix()
    except ValueError:
        return Entry(path, relative, None, "symbolic link out of the tree, not followed")
    what = "directory" if target.is_dir() else "file"
    return Entry(path, relative, None, f"symbolic link to the {what} {inside}, not followed")
