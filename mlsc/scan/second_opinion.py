"""picklescan as an optional second engine, run on the same pickle streams.

picklescan (pure Python, no dependencies) also walks opcodes with :mod:`pickletools` and never
unpickles; it keeps its own deny-list, updated as new gadgets are published. Its answer is
compared with the standard-library engine's (see :class:`mlsc.scan.containers._Collect`): an
import it rates dangerous that the primary engine did not see at all is a ``critical``
finding; one the primary engine rated ``unknown`` or ``safe`` is a ``second_opinion``
warning. Its verdicts never lower the primary engine's.
"""

from __future__ import annotations

import importlib
import logging
from typing import IO, Any

from mlsc.scan.containers import SecondOpinion


def picklescan_engine() -> SecondOpinion | None:
    """A second opinion backed by picklescan, or ``None`` if it is not installed."""
    try:
        scanner: Any = importlib.import_module("picklescan.scanner")
    except Exception:
        return None
    # picklescan logs each dangerous import as a warning: keep that out of our output
    # unless the application configured logging itself.
    log = logging.getLogger("picklescan")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    dangerous = scanner.SafetyLevel.Dangerous

    def opinion(stream: IO[bytes]) -> list[tuple[str, str]] | None:
        result = scanner.scan_pickle_bytes(stream, "mlsc-scan", multiple_pickles=True)
        return [(str(g.module), str(g.name)) for g in result.globals if g.safety == dangerous]

    return opinion
