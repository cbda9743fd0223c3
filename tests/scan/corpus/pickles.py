"""Malicious pickles: dangerous callables and opcode tricks from public advisories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.scan import builders as b
from tests.scan.corpus import Sample


def _raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(data)
        return p

    return build


SAMPLES: list[Sample] = [
    Sample(
        "pickle-os-system-proto2",
        "the classic: GLOBAL os.system + REDUCE (JFrog, 'data scientists targeted', 2024)",
        True,
        _raw("model.pkl", b.reduce_call("os", "system", "id")),
    ),
    Sample(
        "pickle-stack-global-memo-shuffle",
        "STACK_GLOBAL operands fetched back from the memo out of order (scanner evasion)",
        True,
        _raw("model.pkl", b.memo_shuffle_call("os", "system", "id")),
    ),
]
