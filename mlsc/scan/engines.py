"""Engines for formats other than pickles and safetensors, tried before the pickle engine.

Each engine looks at one file and either declines it (``None``: not its format) or returns a
:class:`FormatScan`. :func:`mlsc.scan.scanner.scan_file` asks every engine of
:data:`mlsc.scan.scanner.ENGINES` in order and uses the first answer; a file no engine claims goes on to the
pickle engine (:mod:`mlsc.scan.containers`) or is ``skipped``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlsc.scan.findings import Finding
from mlsc.scan.formats import Sniff


@dataclass(frozen=True)
class FormatScan:
    """What one format engine found in one file."""

    format: str
    """The file's format (``keras``, ``onnx``, ``gguf``, ``savedmodel``, ``tokenizer-config``)."""
    findings: tuple[Finding, ...]
    imports: tuple[str, ...] = ()
    """Callables, ops or modules the file makes a loader reach (dangerous ones first)."""
    facts: tuple[tuple[str, str], ...] = ()
    """Named facts worth recording (``("chat_template_sha256", "...")``)."""
    pickle: bool = False
    """Whether loading the file unpickles something."""


Engine = Callable[[Path, str, Sniff], FormatScan | None]
"""``engine(path, rel, sniff)``: the scan of a file of its format, else ``None``."""
