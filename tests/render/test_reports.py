"""The practices and scorecard pages: escaped, script-free, offline; and drawn by chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import GraphBatch, NodeRecord
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries.practices import practices
from mlsc.queries.scorecard import scorecard
from mlsc.render.html_tables import SORT_JS
from mlsc.render.reports import render_practices, render_scorecard
from tests.conftest import SAMPLE
from tests.graph.builders import PROV, derived
from tests.render.screenshots import save_screenshot
from tests.render.test_html import driver  # noqa: F401  (the shared browser fixture)

HOSTILE = 'evil/"><script>window.__pwned=1</script>'


def pages(tmp_path: Path) -> tuple[str, str]:
    with LadybugStore(tmp_path / "kb") as store:
        ingest_snapshot(store, SAMPLE)
        store.write(
            GraphBatch(
                [NodeRecord("Model", HOSTILE, {"ingested": True, "author": "<b>x</b>", **PROV})],
                [derived(HOSTILE, "quantlab/Evo-8B-g12-GGUF", "finetune")],
            )
        )
        return render_practices(practices(store)), render_scorecard(scorecard(store, HOSTILE))


def test_pages_are_static_escaped_and_offline(tmp_path: Path) -> None:
    for page in pages(tmp_path):
        # The scorecard runs no script; the practices page only the table sorter, by hash.
        scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
        assert scripts in ([], [SORT_JS]) and page.count("<script") == len(scripts)
        assert ("script-src 'sha256-" in page) == bool(scripts)
        assert "default-src 'none'" in page
        assert not re.search(r"(src|href)=['\"]?https?:", page)
    practices_page, card_page = pages(tmp_path / "again")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in card_page
    assert "quantlab" in practices_page and "published 3.19%" in practices_page
    assert "meta-llama/Llama-3.1-8B-Instruct" in card_page  # the weakest link upstream
    assert "of 9 cells with a known fact" in card_page and "coverage: cells known" in card_page


def test_chromium_draws_them_as_text(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    for name, page in zip(("practices", "scorecard"), pages(tmp_path), strict=True):
        path = tmp_path / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        driver.get(path.as_uri())
        text = driver.find_element(By.TAG_NAME, "body").text
        assert driver.execute_script("return window.__pwned === undefined")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
        if name == "scorecard":
            assert HOSTILE in text and "Weakest link upstream" in text
        else:
            assert "Security practices over 379 ingested models" in text
            assert len(driver.find_elements(By.TAG_NAME, "svg")) == 2
        save_screenshot(driver, f"sample-{name}")
