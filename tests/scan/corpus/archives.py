"""Archive and file-name tricks: containers a loader opens that a scanner may not."""

from __future__ import annotations

from tests.scan.corpus import Sample

SAMPLES: list[Sample] = []
