"""Formats beyond pickle: Keras, TensorFlow SavedModel, ONNX, GGUF and chat templates."""

from __future__ import annotations

from tests.scan.corpus import Sample

SAMPLES: list[Sample] = []
