"""GGUF files and chat templates: metadata and Jinja templates that reach Python objects."""

from __future__ import annotations

from tests.scan.corpus import Sample

SAMPLES: list[Sample] = []
