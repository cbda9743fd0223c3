"""Screenshots of the pages the browser tests open, for people to look at.

    from tests.render.screenshots import save_screenshot
    path = save_screenshot(driver, "scorecard")   # -> $MLSC_SCREENSHOTS/scorecard.png

PNGs go to ``$MLSC_SCREENSHOTS`` when it is set (created if missing), else to a directory
under pytest's temporary directory of the session; each path is printed (``pytest -s`` or
the captured output of a failing test shows it).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["save_screenshot", "screenshot_dir", "set_default_dir"]

ENV = "MLSC_SCREENSHOTS"
_default: Path | None = None


def set_default_dir(directory: Path) -> None:
    """Where screenshots go when ``$MLSC_SCREENSHOTS`` is unset (tests/render/conftest.py
    points it at pytest's temporary directory)."""
    global _default
    _default = directory


def screenshot_dir() -> Path:
    wanted = os.environ.get(ENV)
    if wanted:
        directory = Path(wanted)
    elif _default is not None:
        directory = _default
    else:  # outside pytest's session fixtures
        directory = Path(tempfile.gettempdir()) / "mlsc-screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def save_screenshot(driver: Any, name: str) -> Path:
    """Save what `driver` shows as ``NAME.png`` and print the path: the whole page in
    chromium (up to 8,000 px high), the window elsewhere."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "page"
    path = screenshot_dir() / f"{safe}.png"
    if hasattr(driver, "execute_cdp_cmd"):
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"],
                         "height": min(size["height"], 8000), "scale": 1},
            },
        )  # fmt: skip
        path.write_bytes(base64.b64decode(shot["data"]))
    elif not driver.save_screenshot(str(path)):
        raise OSError(f"the browser could not write {path}")
    print(f"screenshot: {path}")
    return path
