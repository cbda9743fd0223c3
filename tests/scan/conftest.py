"""Every scan test runs with unpickling disabled: the scanner must never load what it scans."""

from __future__ import annotations

import _pickle
import pickle
from collections.abc import Iterator
from typing import NoReturn

import pytest


class UnpicklingAttempted(AssertionError):
    """Raised by the guard when anything tries to unpickle."""


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise UnpicklingAttempted("the scanner tried to unpickle")


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Replace every unpickling entry point (pickle's and the C accelerator's) for the test."""
    for module in (pickle, _pickle):
        for name in ("load", "loads", "Unpickler"):
            monkeypatch.setattr(module, name, _refuse)
    for name in ("_load", "_loads", "_Unpickler"):
        monkeypatch.setattr(pickle, name, _refuse)
    yield
