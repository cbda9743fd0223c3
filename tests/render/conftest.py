"""Page tests: screenshots go under pytest's temporary directory unless $MLSC_SCREENSHOTS
says where."""

from __future__ import annotations

import pytest

from tests.render.screenshots import set_default_dir


@pytest.fixture(scope="session", autouse=True)
def _screenshots_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    set_default_dir(tmp_path_factory.getbasetemp() / "screenshots")
