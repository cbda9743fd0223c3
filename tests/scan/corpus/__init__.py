"""The scanner corpus: malicious samples written from public advisories, and benign files.

Every sample is built from bytes in a fresh directory (nothing is downloaded, nothing
malicious is ever loaded). One module per family adds its samples to :data:`SAMPLES`:
:mod:`.pickles` (opcode tricks and dangerous callables), :mod:`.archives` (containers and
file names), :mod:`.formats` (Keras, TensorFlow SavedModel, ONNX), :mod:`.templates` (GGUF
and chat templates) and
:mod:`.benign` (real files the scanners must leave alone).

``tests/scan/test_corpus.py`` checks mlsc on every sample; ``benchmarks/scanners.py`` runs
mlsc, picklescan, fickling and ModelScan on the same corpus and prints each tool's
detections, misses and false positives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One corpus entry."""

    name: str
    """Unique, usable as a file-name stem (``pickle-runpy-run-path``)."""
    source: str
    """What it reproduces: an advisory id, a CVE or a write-up, and the class of trick."""
    malicious: bool
    """Whether loading it the usual way runs code or touches files it should not."""
    build: Callable[[Path], Path]
    """Writes the sample into an empty directory; returns the file or directory to scan."""
    expect: str = "critical"
    """The least mlsc status that counts as right: ``critical`` or ``warning`` for a
    malicious sample, ``clean`` for a benign one (a benign sample must not be flagged)."""


def _all() -> list[Sample]:
    from tests.scan.corpus import archives, benign, formats, pickles, templates

    found = [*pickles.SAMPLES, *archives.SAMPLES, *formats.SAMPLES, *templates.SAMPLES]
    found += benign.SAMPLES
    names = [s.name for s in found]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate corpus sample names: {dupes}")
    return found


SAMPLES: list[Sample] = _all()
"""Every sample, malicious and benign."""
