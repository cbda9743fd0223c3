"""Offline HTML rendering of lineage and blast radius: static checks and a real browser."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mlsc.queries.results import Affected, BlastRadius, LineageEntry, LineageResult
from mlsc.render.html import render_blast_radius, render_lineage
from tests.conftest import browser_unavailable
from tests.render.screenshots import save_screenshot

TARGET = "meta-llama/Llama-3.1-8B"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
HOSTILE_ID = 'evil-org/"><script>window.__pwned=1</script>'
HOSTILE_LICENSE = "<img src=x onerror=alert(1)>"
HOSTILE_EVIDENCE = "card: <b onmouseover=alert(2)>base_model</b> & more"
OBSERVED = "2025-06-01T12:00:00Z"

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# ------------------------------------------------------------------------------------------
# Fixtures


def _lineage() -> tuple[LineageResult, dict[str, dict[str, Any]], dict[Any, dict[str, Any]]]:
    """Llama-3.1-8B-Instruct with a parent, a quantization, a merge and a hostile adapter."""
    E = LineageEntry
    result = LineageResult(
        model=INSTRUCT,
        ancestors=(E(TARGET, 1, "finetune", INSTRUCT, "meta-llama", 6_100_000, True),),
        descendants=(
            E(
                "unsloth/Llama-3.1-8B-Instruct-bnb-4bit",
                1,
                "quantized",
                INSTRUCT,
                "unsloth",
                450_000,
                True,
            ),
            E(
                "NousResearch/Hermes-3-Llama-3.1-8B",
                1,
                "finetune",
                INSTRUCT,
                "NousResearch",
                120_000,
                True,
            ),
            E(
                "mlabonne/Hermes-3-Llama-3.1-8B-lorablated",
                2,
                "merge",
                "NousResearch/Hermes-3-Llama-3.1-8B",
                "mlabonne",
                9_000,
                True,
            ),
            E(HOSTILE_ID, 1, "adapter", INSTRUCT, None, None, False),
        ),
        cycles=(),
        edges=(
            (INSTRUCT, TARGET, "finetune"),
            ("unsloth/Llama-3.1-8B-Instruct-bnb-4bit", INSTRUCT, "quantized"),
            ("NousResearch/Hermes-3-Llama-3.1-8B", INSTRUCT, "finetune"),
            (
                "mlabonne/Hermes-3-Llama-3.1-8B-lorablated",
                "NousResearch/Hermes-3-Llama-3.1-8B",
                "merge",
            ),
            (HOSTILE_ID, INSTRUCT, "adapter"),
        ),
    )
    details: dict[str, dict[str, Any]] = {
        INSTRUCT: {
            "author": "meta-llama",
            "downloads": 5_300_000,
            "license": "llama3.1",
            "pipeline_tag": "text-generation",
            "gated": "manual",
            "ingested": True,
            "source": "hf-api",
            "observed_at": OBSERVED,
        },
        TARGET: {
            "author": "meta-llama",
            "license": "llama3.1",
            "source": "hf-api",
            "observed_at": OBSERVED,
        },
        HOSTILE_ID: {
            "license": HOSTILE_LICENSE,
            "ingested": False,
            "source": "card",
            "observed_at": OBSERVED,
            "pipeline_tag": None,
        },
    }
    edge_details: dict[Any, dict[str, Any]] = {
        (INSTRUCT, TARGET): {
            "relation": "finetune",
            "evidence": ["card: base_model"],
            "confidence": 0.98,
            "source": "hf-api",
            "observed_at": OBSERVED,
        },
        (HOSTILE_ID, INSTRUCT): {
            "relation": "adapter",
            "evidence": [HOSTILE_EVIDENCE],
            "confidence": 0.6,
            "source": "card",
            "observed_at": OBSERVED,
        },
    }
    return result, details, edge_details


def _blast(n: int = 10) -> BlastRadius:
    """Llama-3.1-8B compromised: n fine-tunes, a GGUF of each, one deep popular model.

    Downloads: fine-tune i has 10*i, its GGUF 1000+i, and `deep/popular` (under the GGUF of
    fine-tune 3) 1,000,000. Total models: 1 + n + n + 1.
    """
    affected = [Affected(TARGET, 0, None, None, "meta-llama", 6_100_000)]
    edges: list[tuple[str, str, str]] = []
    for i in range(n):
        ft, gguf = f"org{i}/Llama-3.1-8B-ft-{i}", f"org{i}/Llama-3.1-8B-ft-{i}-GGUF"
        affected.append(Affected(ft, 1, "finetune", TARGET, f"org{i}", 10 * i))
        affected.append(Affected(gguf, 2, "quantized", ft, f"org{i}", 1000 + i))
        edges += [(ft, TARGET, "finetune"), (gguf, ft, "quantized")]
    affected.append(
        Affected("deep/popular", 3, "distill", "org3/Llama-3.1-8B-ft-3-GGUF", "deep", 1_000_000)
    )
    edges.append(("deep/popular", "org3/Llama-3.1-8B-ft-3-GGUF", "distill"))
    affected.sort(key=lambda a: (a.depth, -(a.downloads or 0)))
    return BlastRadius(
        target=TARGET,
        kind="model",
        seeds=(TARGET,),
        affected=tuple(affected),
        by_relation={"finetune": n, "quantized": n, "distill": 1},
        by_depth={0: 1, 1: n, 2: n, 3: 1},
        owners=tuple(sorted({a.owner for a in affected if a.owner})),
        downloads=sum(a.downloads or 0 for a in affected),
        edges=tuple(edges),
    )


def _graph(page: str) -> dict[str, Any]:
    """The nodes, edges and options embedded in a page."""
    m = re.search(r'<script type="application/json" id="mlsc-graph">(.*?)</script>', page, re.S)
    assert m is not None
    data: dict[str, Any] = json.loads(m.group(1))
    return data


REMOTE = re.compile(
    r"""\b(?:src|href|action|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I
)


class _Tags(HTMLParser):
    """Start tags as a real HTML parser sees them (script bodies are not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _elements(page: str, name: str | None = None) -> list[Any]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    if name is None:
        return parser.tags
    return [attrs for tag, attrs in parser.tags if tag == name]


def _assert_offline(page: str) -> None:
    for tag, attrs in _elements(page):
        for key, value in attrs:
            if key in ("src", "href", "srcset", "action", "data", "poster") and value:
                assert not re.match(r"\s*([a-z][a-z0-9+.-]*:)?//", value, re.I), (tag, key, value)
    assert not REMOTE.search(page), REMOTE.search(page)
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, re.I):
        assert "http://" not in tag and "https://" not in tag, tag
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", page, re.I)


# ------------------------------------------------------------------------------------------
# Static checks on the HTML


def test_lineage_page_is_standalone_and_offline() -> None:
    result, details, edge_details = _lineage()
    page = render_lineage(result, details, edge_details)
    assert page.startswith("<!DOCTYPE html>")
    _assert_offline(page)
    # vis-network is inline, and the only scripts are ours.
    assert "vis-network" in page and "new vis.Network" in page
    assert _elements(page, "script") == [
        [("type", "application/json"), ("id", "mlsc-graph")],
        [],
        [],
    ]
    assert _elements(page, "link") == [] and _elements(page, "img") == []
    assert "default-src 'none'" in page
    data = _graph(page)
    assert len(data["nodes"]) == 6 and len(data["edges"]) == 5
    assert "Showing" not in page
    # Legend: every relation and the kinds present.
    for word in (
        "finetune",
        "adapter",
        "quantized",
        "merge",
        "distill",
        "prune",
        "unknown",
        "target model",
        "ancestor",
        "descendant",
        "placeholder",
    ):
        assert word in page


def test_blast_radius_page_is_offline() -> None:
    page = render_blast_radius(_blast(), {}, {})
    _assert_offline(page)
    assert "Showing" not in page
    assert len(_graph(page)["nodes"]) == 22


def test_remote_pattern_catches_cdn_tags() -> None:
    for bad in (
        '<script src="https://cdn.jsdelivr.net/x.js"></script>',
        "<link href='http://x/y.css' rel=stylesheet>",
        "<script src=//cdnjs.cloudflare.com/x.js></script>",
    ):
        with pytest.raises(AssertionError):
            _assert_offline(bad)


def test_node_and_edge_tooltips_carry_provenance() -> None:
    result, details, edge_details = _lineage()
    data = _graph(render_lineage(result, details, edge_details))
    nodes = {n["id"]: n for n in data["nodes"]}
    tip = nodes[INSTRUCT]["title"]
    for line in (
        INSTRUCT,
        "owner: meta-llama",
        "downloads: 5,300,000",
        "license: llama3.1",
        "source: hf-api",
        f"observed_at: {OBSERVED}",
        "gated: manual",
    ):
        assert line in tip
    assert nodes[INSTRUCT]["kind"] == "target" and nodes[INSTRUCT]["shape"] == "star"
    assert nodes[TARGET]["kind"] == "ancestor"
    assert nodes["unsloth/Llama-3.1-8B-Instruct-bnb-4bit"]["kind"] == "descendant"
    hostile = nodes[HOSTILE_ID]
    assert hostile["ingested"] is False
    assert hostile["shapeProperties"] == {"borderDashes": [4, 3]}
    assert f"license: {HOSTILE_LICENSE}" in hostile["title"]
    assert "ingested: no" in hostile["title"]
    # Bigger downloads, bigger node.
    assert nodes[TARGET]["size"] > nodes["mlabonne/Hermes-3-Llama-3.1-8B-lorablated"]["size"]
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    assert set(edges) == {(c, p) for c, p, _ in result.edges}
    tip = edges[(INSTRUCT, TARGET)]["title"]
    for line in (
        "relation: finetune",
        "  - card: base_model",
        "confidence: 0.98",
        "source: hf-api",
        f"observed_at: {OBSERVED}",
    ):
        assert line in tip
    assert edges[(INSTRUCT, TARGET)]["color"]["color"] == "#2ca02c"
    assert edges[(HOSTILE_ID, INSTRUCT)]["color"]["color"] == "#9467bd"
    assert HOSTILE_EVIDENCE in edges[(HOSTILE_ID, INSTRUCT)]["title"]
    # No details at all: still a tooltip, with unknowns.
    assert (
        "evidence: none recorded"
        in edges[("unsloth/Llama-3.1-8B-Instruct-bnb-4bit", INSTRUCT)]["title"]
    )


def test_hostile_strings_are_escaped_in_the_raw_html() -> None:
    result, details, edge_details = _lineage()
    page = render_lineage(result, details, edge_details)
    for raw in (HOSTILE_LICENSE, HOSTILE_ID, "window.__pwned=1</script>", "<b onmouseover"):
        assert raw not in page
    # In the JSON: as \u003c...; the only </script> closers are our three.
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert page.count("</script>") == 3
    assert page.lower().count("</script") == 3


def test_hostile_target_is_escaped_in_heading_and_title() -> None:
    bad = '"><img src=x onerror=alert(1)></code></h1><script>window.__pwned=1</script>'
    radius = BlastRadius(
        target=bad,
        kind="actor",
        seeds=(HOSTILE_ID,),
        affected=(Affected(HOSTILE_ID, 0, None, None, bad, 3),),
        by_relation={},
        by_depth={0: 1},
        owners=(bad,),
        downloads=3,
        edges=(),
    )
    page = render_blast_radius(radius, {HOSTILE_ID: {"license": HOSTILE_LICENSE}}, {})
    assert bad not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert re.search(r"<title>[^<]*&lt;script&gt;window.__pwned=1&lt;/script&gt;</title>", page)
    assert page.count("</script>") == 3
    assert [h for h in _elements(page) if h[0] in ("img", "code", "h1")] == [
        ("h1", []),
        ("code", []),
    ]
    _assert_offline(page)
    [node] = _graph(page)["nodes"]
    assert node["kind"] == "seed" and f"owner: {bad}" in node["title"]
    assert "seed: controlled by the actor" in page


def test_page_scripts_are_allowed_by_hash_only() -> None:
    """The CSP lists a hash for each executable inline script and no 'unsafe-inline'."""
    page = render_blast_radius(_blast(), {}, {})
    [meta] = [
        dict(a)
        for a in _elements(page, "meta")
        if dict(a).get("http-equiv") == "Content-Security-Policy"
    ]
    policy = meta["content"] or ""
    assert "default-src 'none'" in policy
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "unsafe" not in script_src
    bodies = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(bodies) == 2
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src


def test_cap_keeps_top_models_and_their_paths() -> None:
    page = render_blast_radius(_blast(), {}, {}, cap=3)
    data = _graph(page)
    ids = {n["id"] for n in data["nodes"]}
    # Top 3 by downloads, then every model on their paths back to the target.
    assert ids == {
        TARGET,
        "deep/popular",
        "org3/Llama-3.1-8B-ft-3-GGUF",
        "org3/Llama-3.1-8B-ft-3",
        "org9/Llama-3.1-8B-ft-9-GGUF",
        "org9/Llama-3.1-8B-ft-9",
        "org8/Llama-3.1-8B-ft-8-GGUF",
        "org8/Llama-3.1-8B-ft-8",
    }
    assert {(e["from"], e["to"]) for e in data["edges"]} == {
        ("deep/popular", "org3/Llama-3.1-8B-ft-3-GGUF"),
        ("org3/Llama-3.1-8B-ft-3-GGUF", "org3/Llama-3.1-8B-ft-3"),
        ("org3/Llama-3.1-8B-ft-3", TARGET),
        ("org9/Llama-3.1-8B-ft-9-GGUF", "org9/Llama-3.1-8B-ft-9"),
        ("org9/Llama-3.1-8B-ft-9", TARGET),
        ("org8/Llama-3.1-8B-ft-8-GGUF", "org8/Llama-3.1-8B-ft-8"),
        ("org8/Llama-3.1-8B-ft-8", TARGET),
    }
    assert (
        'id="mlsc-cap-note">Showing 8 of 22 models '
        "(top 3 by downloads and their paths to the target)</p>"
    ) in page


def test_cap_on_lineage_walks_both_directions() -> None:
    result, details, edge_details = _lineage()
    page = render_lineage(result, details, edge_details, cap=2)
    ids = {n["id"] for n in _graph(page)["nodes"]}
    # Top 2: the parent (6.1M) and the 4-bit quantization (450k); the target is always kept.
    assert ids == {INSTRUCT, TARGET, "unsloth/Llama-3.1-8B-Instruct-bnb-4bit"}
    assert "Showing 3 of 6 models" in page
    page = render_lineage(result, details, edge_details, cap=3)
    ids = {n["id"] for n in _graph(page)["nodes"]}
    assert "NousResearch/Hermes-3-Llama-3.1-8B" in ids and len(ids) == 4
    with pytest.raises(ValueError):
        render_lineage(result, details, edge_details, cap=0)


def test_cap_exactly_at_size_shows_everything() -> None:
    page = render_blast_radius(_blast(), {}, {}, cap=21)
    assert "Showing" not in page and len(_graph(page)["nodes"]) == 22


def test_missing_and_odd_details_do_not_break_rendering() -> None:
    result, _, _ = _lineage()
    details: dict[str, dict[str, Any]] = {
        INSTRUCT: {
            "downloads": "12",
            "license": None,
            "observed_at": None,
            "gated": False,
            "author": "x\ud800y",
        },
        TARGET: {"downloads": float("nan")},
    }
    edge_details: dict[Any, dict[str, Any]] = {
        (INSTRUCT, TARGET): {"evidence": "single string", "confidence": float("inf")},
    }
    page = render_lineage(result, details, edge_details)
    page.encode("utf-8")  # no lone surrogates
    data = _graph(page)
    node = next(n for n in data["nodes"] if n["id"] == INSTRUCT)
    assert "license: unknown" in node["title"] and "gated: no" in node["title"]
    edge = next(e for e in data["edges"] if e["from"] == INSTRUCT)
    assert "  - single string" in edge["title"] and "confidence: unknown" in edge["title"]
    assert "x?y" in node["title"]


def test_long_values_are_cut() -> None:
    result, details, edge_details = _lineage()
    details = dict(details)
    details[TARGET] = {"license": "L" * 10_000}
    data = _graph(render_lineage(result, details, edge_details))
    node = next(n for n in data["nodes"] if n["id"] == TARGET)
    assert "L" * 299 + "…" in node["title"] and "L" * 301 not in node["title"]


# ------------------------------------------------------------------------------------------
# A real headless browser (Debian's chromium + chromedriver, driven by selenium)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        browser_unavailable(
            f"needs {CHROMIUM} and {CHROMEDRIVER}: run tools/install-browser.sh "
            "(Debian packages chromium, chromium-driver)"
        )
    try:
        from selenium import webdriver
    except ImportError:
        browser_unavailable("selenium is not installed: `make install-dev` installs it")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mlsc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit Service: selenium-manager never runs, so nothing is downloaded.
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _load(drv: Any, path: Path, timeout: float = 60) -> None:
    """Open `path` and wait until the network is stabilised and drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get(path.resolve().as_uri())
    WebDriverWait(drv, timeout).until(
        lambda d: d.execute_script("return !!(window.mlsc && window.mlsc.ready)")
    )


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE"]


@pytest.mark.browser
def test_browser_draws_lineage_and_tooltips_are_text(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    result, details, edge_details = _lineage()
    page = render_lineage(result, details, edge_details)
    path = tmp_path / "lineage.html"
    path.write_text(page, encoding="utf-8")

    _load(driver, path)
    logs = driver.get_log("browser")
    assert _severe(logs) == [], logs

    # The network holds exactly what we rendered, and the canvas is drawn.
    expected = {n["id"] for n in _graph(page)["nodes"]}
    assert driver.execute_script("return window.mlsc.nodes.length") == len(expected) == 6
    assert set(driver.execute_script("return window.mlsc.nodes.getIds()")) == expected
    assert driver.execute_script("return window.mlsc.edges.length") == 5
    size = driver.execute_script(
        "var c = document.querySelector('#mynetwork canvas'); return [c.width, c.height];"
    )
    assert size[0] > 300 and size[1] > 300
    # Labels, heading and legend are text.
    assert driver.find_element("css selector", "h1 code").text == INSTRUCT

    # Hover the hostile node: find it on the canvas, move the mouse there.
    point = driver.execute_script(
        """
        var id = arguments[0], net = window.mlsc.network;
        var p = net.canvasToDOM(net.getPositions([id])[id]);
        var r = document.querySelector('#mynetwork').getBoundingClientRect();
        return [p.x - r.width / 2, p.y - r.height / 2];
        """,
        HOSTILE_ID,
    )
    container = driver.find_element("css selector", "#mynetwork")
    chain = ActionChains(driver)
    chain.move_to_element_with_offset(container, int(point[0]) + 3, int(point[1]) + 3)
    chain.pause(0.2).move_to_element_with_offset(container, int(point[0]), int(point[1]))
    chain.perform()
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script(
            "var t = document.querySelector('div.vis-tooltip');"
            "return !!t && t.style.visibility !== 'hidden' && t.textContent.length > 0;"
        )
    )
    tip = driver.execute_script("return document.querySelector('div.vis-tooltip').textContent")
    assert HOSTILE_ID in tip
    assert f"license: {HOSTILE_LICENSE}" in tip
    shown = driver.find_element("css selector", "div.vis-tooltip").text
    assert HOSTILE_LICENSE in shown  # rendered as visible text, not as an element
    save_screenshot(driver, "blast-radius-sample")

    # Nothing ran, nothing was injected.
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert (
        driver.execute_script(
            "return document.querySelectorAll('div.vis-tooltip *:not(.mlsc-tip)').length"
        )
        == 0
    )
    # Edge tooltips are text elements too.
    is_element, text = driver.execute_script(
        """
        var id = arguments[0];
        var e = window.mlsc.edges.get().filter(function (x) { return x.from === id; })[0];
        return [e.title instanceof Element, e.title.textContent];
        """,
        HOSTILE_ID,
    )
    assert is_element and HOSTILE_EVIDENCE in text
    assert _severe(driver.get_log("browser")) == []


@pytest.mark.browser
def test_browser_csp_blocks_injected_handlers(driver: Any, tmp_path: Path) -> None:
    """Defence in depth: even markup injected at run time cannot run inline handlers."""
    from selenium.webdriver.support.ui import WebDriverWait

    path = tmp_path / "blast.html"
    path.write_text(render_blast_radius(_blast(), {}, {}), encoding="utf-8")
    _load(driver, path)
    assert _severe(driver.get_log("browser")) == []
    driver.execute_script(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<img id=probe src=x onerror=\"window.__csp=1\">');"
    )
    WebDriverWait(driver, 5).until(lambda d: _severe(d.get_log("browser")))
    assert driver.execute_script("return typeof window.__csp") == "undefined"


@pytest.mark.browser
def test_browser_capped_page_shows_note(driver: Any, tmp_path: Path) -> None:

    page = render_blast_radius(_blast(n=300), {}, {}, cap=40)
    path = tmp_path / "capped.html"
    path.write_text(page, encoding="utf-8")
    _load(driver, path, timeout=90)
    assert _severe(driver.get_log("browser")) == []
    rendered = len(_graph(page)["nodes"])
    assert driver.execute_script("return window.mlsc.nodes.length") == rendered
    note = driver.find_element("css selector", "#mlsc-cap-note")
    assert note.is_displayed()
    assert note.text == (
        f"Showing {rendered} of 602 models (top 40 by downloads and their paths to the target)"
    )
    save_screenshot(driver, "blast-radius-capped")


class _Recording(Mapping[str, Mapping[str, Any]]):
    """Like the CLI's lazy store view: remembers which models were looked up."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        self.asked.add(key)
        return {"license": "apache-2.0"}

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_details_are_looked_up_only_for_drawn_models() -> None:
    details = _Recording()
    page = render_blast_radius(_blast(n=200), details, {}, cap=5)
    drawn = {n["id"] for n in _graph(page)["nodes"]}
    assert details.asked == drawn
    assert all("license: apache-2.0" in n["title"] for n in _graph(page)["nodes"])


# ------------------------------------------------------------------------------------------
# Applications: a ring of their own, the same counts as the CLI's JSON


def _apps_blast(tmp_path: Path) -> BlastRadius:
    """A real blast radius with applications (LadybugDB), plus a hostile application id."""
    import dataclasses

    from mlsc.graph.ladybug import LadybugStore
    from mlsc.queries import blast_radius
    from mlsc.queries.results import Application, AppModel
    from tests.queries.applications_graph import SINCE, applications_batch

    with LadybugStore(tmp_path / "kb") as store:
        store.write(applications_batch())
        result = blast_radius(store, "meta/base", since=SINCE)
    hostile = Application(
        HOSTILE_ID, (AppModel("org/ft2", 2, False, HOSTILE_LICENSE, "branch", "unpinned"),), True
    )
    return dataclasses.replace(result, applications=(*result.applications, hostile))


def test_applications_ring_matches_the_json(tmp_path: Path) -> None:
    result = _apps_blast(tmp_path)
    page = render_blast_radius(result, {}, {})
    data = _graph(page)
    out = result.to_json()
    apps = [n for n in data["nodes"] if n.get("kind") == "application"]
    assert sorted(n["application"] for n in apps) == sorted(a["id"] for a in out["applications"])
    assert {n["shape"] for n in apps} == {"square"}
    deepest = max(a["depth"] for a in out["affected"])
    assert {n["level"] for n in apps} == {deepest + 1}  # the outermost ring
    uses = sorted(
        (e["from"], e["to"], e["label"]) for e in data["edges"] if e.get("kind") == "uses"
    )
    assert uses == sorted(
        (f"app:{a['id']}", m["id"], m["status"]) for a in out["applications"] for m in a["models"]
    )
    # derivation counts are not polluted by the applications' edges
    assert 'data-relation="unknown" data-models="0" data-edges="0"' in page
    assert (
        f'data-count="{out["applications_count"]}" data-exposed="{out["applications_exposed"]}"'
        in page
    )
    assert "8 applications load an affected model, 7 exposed" in page
    assert "<script>window.__pwned" not in page and "<img src=x" not in page


def test_no_application_is_said_on_the_page() -> None:
    page = render_blast_radius(_blast(), {}, {})
    assert "no application in the knowledge base loads an affected model" in page
    assert not [n for n in _graph(page)["nodes"] if n.get("kind") == "application"]


@pytest.mark.browser
def test_browser_draws_the_applications_ring(driver: Any, tmp_path: Path) -> None:
    result = _apps_blast(tmp_path)
    out = result.to_json()
    path = tmp_path / "apps.html"
    path.write_text(render_blast_radius(result, {}, {}), encoding="utf-8")
    _load(driver, path)
    assert _severe(driver.get_log("browser")) == []
    drawn = driver.execute_script(
        "return window.mlsc.nodes.get({filter: function (n) {"
        " return n.kind === 'application'; }}).map(function (n) {"
        " return [n.application, n.exposed]; });"
    )
    assert sorted(map(tuple, drawn)) == sorted((a["id"], a["exposed"]) for a in out["applications"])
    edges = driver.execute_script(
        "return window.mlsc.edges.get({filter: function (e) { return e.kind === 'uses'; }})"
        ".map(function (e) { return [e.from, e.to, e.label]; });"
    )
    assert sorted(map(tuple, edges)) == sorted(
        (f"app:{a['id']}", m["id"], m["status"]) for a in out["applications"] for m in a["models"]
    )
    legend = driver.find_element("css selector", "#mlsc-apps")
    assert legend.text == (
        f"{out['applications_count']} applications load an affected model, "
        f"{out['applications_exposed']} exposed"
    )
    statuses = {
        e.get_attribute("data-status"): e.text
        for e in driver.find_elements("css selector", "#legend [data-status]")
    }
    assert statuses == {
        "unpinned": "(3)",
        "pinned": "(3)",
        "unknown": "(1)",
        "pinned-before": "(2)",
    }
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    save_screenshot(driver, "blast-radius-applications")


@pytest.mark.parametrize(("required", "outcome"), [("", "skipped"), ("0", "skipped"), ("1", "failed")])
def test_a_missing_browser_skips_unless_required(
    required: str, outcome: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make test` skips the browser tests without chromium; .ci/run (MLSC_REQUIRE_BROWSER=1)
    fails them."""
    monkeypatch.setenv("MLSC_REQUIRE_BROWSER", required)
    with pytest.raises(BaseException) as caught:
        browser_unavailable("needs /usr/bin/chromium")
    assert type(caught.value).__name__ == {"skipped": "Skipped", "failed": "Failed"}[outcome]
    assert "needs /usr/bin/chromium" in str(caught.value)
    assert ("MLSC_REQUIRE_BROWSER is set" in str(caught.value)) == (outcome == "failed")
