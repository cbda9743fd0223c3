"""Walk a tree and read its model references (placeholder: the reader lands next)."""

from __future__ import annotations

from pathlib import Path

from mlsc.code.references import CodeReading


def read_references(root: Path) -> CodeReading:
    """Every model reference under ``root`` (a directory or one file)."""
    raise NotImplementedError("the code reader is not written yet")
