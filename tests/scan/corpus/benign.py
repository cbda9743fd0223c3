"""Benign files: what real libraries write, which no scanner should flag."""

from __future__ import annotations

from pathlib import Path

from tests.scan import builders as b
from tests.scan.corpus import Sample


def _torch_state_dict(d: Path) -> Path:
    return b.torch_zip(d / "pytorch_model.bin", b.torch_state_dict_pickle())


SAMPLES: list[Sample] = [
    Sample(
        "benign-torch-state-dict-bytes",
        "a torch.save state dict, written byte by byte as PyTorch writes it",
        False,
        _torch_state_dict,
        "clean",
    ),
]
