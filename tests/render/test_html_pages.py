"""The blast-radius and lineage pages under the graph: histograms, sortable tables, the owners
to notify, the legend's counts, the layered lineage; read from the DOM of headless Chromium
and held against the JSON of the same query, on the sample hub and on hostile names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import blast_radius, lineage
from mlsc.queries.results import Affected, Application, AppModel, BlastRadius, LineageResult
from mlsc.render.html import render_blast_radius, render_lineage
from mlsc.render.html_tables import NONE
from tests.conftest import SAMPLE
from tests.render.screenshots import save_screenshot
from tests.render.test_html import _graph, _lineage, _load, _severe, driver  # noqa: F401

TARGET = "meta-llama/Llama-3.1-8B"
EVIL_ROOT = 'evil-org/"><script>window.__pwned=1</script>'
EVIL_OWNER = "\u202eevil<img src=x onerror=window.__pwned=2>"
EVIL_CHILD = "o\u05d0rg/'quoted\"\u202e<b>bold</b>"
EVIL_RELATION = "<i>merge</i>"


# ------------------------------------------------------------------------------------------
# Data: the sample hub, and a graph of hostile names


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample hub's knowledge base (closed: the CLI may open it too)."""
    path = tmp_path_factory.mktemp("kb") / "kb"
    with LadybugStore(path) as store:
        ingest_snapshot(store, SAMPLE)
    return path


@pytest.fixture
def sample(sample_db: Path) -> Iterator[LadybugStore]:
    with LadybugStore(sample_db) as store:
        yield store


def _details(store: LadybugStore, ids: set[str]) -> dict[str, dict[str, Any]]:
    return {i: dict(store.node("Model", i) or {}) for i in ids}


def _sample_blast(store: LadybugStore) -> tuple[BlastRadius, str]:
    result = blast_radius(store, TARGET)
    return result, render_blast_radius(result, _details(store, {a.id for a in result.affected}), {})


def _sample_lineage(store: LadybugStore, model: str, **kw: Any) -> tuple[LineageResult, str]:
    result = lineage(store, model)
    ids = {model} | {e.id for e in (*result.ancestors, *result.descendants)}
    return result, render_lineage(result, _details(store, ids), {}, **kw)


def _hostile_blast() -> BlastRadius:
    affected = (
        Affected(EVIL_ROOT, 0, None, None, EVIL_OWNER, 1_000),
        Affected(EVIL_CHILD, 1, EVIL_RELATION, EVIL_ROOT, EVIL_OWNER, 20),
        Affected("plain/child", 1, "finetune", EVIL_ROOT, "plain", 500),
        Affected("plain/grandchild", 2, "quantized", "plain/child", None, None),
    )
    return BlastRadius(
        target=EVIL_ROOT,
        kind="model",
        seeds=(EVIL_ROOT,),
        affected=affected,
        by_relation={EVIL_RELATION: 1, "finetune": 1, "quantized": 1},
        by_depth={0: 1, 1: 2, 2: 1},
        owners=tuple(sorted({EVIL_OWNER, "plain"})),
        downloads=1_520,
        edges=(
            (EVIL_CHILD, EVIL_ROOT, EVIL_RELATION),
            ("plain/child", EVIL_ROOT, "finetune"),
            ("plain/grandchild", "plain/child", "quantized"),
        ),
        applications=(
            Application(
                "app:<svg onload=alert(3)>",
                (AppModel(EVIL_CHILD, 1, False, None, "branch", "unpinned"),),
                True,
            ),
        ),
    )


# ------------------------------------------------------------------------------------------
# What the JSON says each part of the page must show


def _shown(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _rows(entries: list[dict[str, Any]], keys: tuple[str, ...]) -> list[list[str]]:
    return [[_shown(e[k]) for k in keys] for e in entries]


AFFECTED_KEYS = ("depth", "id", "relation", "via", "owner", "downloads")


def _owners(out: dict[str, Any]) -> list[list[str]]:
    """Owners to notify from the JSON: models and downloads each, most downloads first."""
    models: dict[str, int] = {}
    downloads: dict[str, int] = {}
    for a in out["affected"]:
        if a["owner"] is not None:
            models[a["owner"]] = models.get(a["owner"], 0) + 1
            downloads[a["owner"]] = downloads.get(a["owner"], 0) + (a["downloads"] or 0)
    order = sorted(models, key=lambda o: (-downloads[o], -models[o], o))
    assert set(order) == set(out["owner_names"])
    return [[o, f"{models[o]:,}", f"{downloads[o]:,}"] for o in order]


# ------------------------------------------------------------------------------------------
# Static checks


def test_legend_counts_models_by_relation_as_the_cli_does(sample: LadybugStore) -> None:
    result, page = _sample_blast(sample)
    out = result.to_json()
    assert out["by_relation"]["merge"] == 12  # the issue: the legend said 31 (edges)
    legend = dict(re.findall(r'data-relation="([^"]*)" data-models="(\d+)"', page))
    assert {r: int(n) for r, n in legend.items() if int(n)} == out["by_relation"]
    assert "merge <span" in page and "(12 models, " in page


def test_tables_are_complete_up_to_the_cap_and_say_so() -> None:
    result = _hostile_blast()
    page = render_blast_radius(result, {}, {}, rows=2)
    assert 'id="mlsc-affected" class="mlsc-sortable" data-total="4" data-shown="2"' in page
    assert "first 2 of 4 affected models (the JSON output lists all)" in page
    full = render_blast_radius(result, {}, {})
    assert "all 4 affected models" in full and "all 2 owners" in full


def test_hostile_names_are_escaped_in_tables_and_charts() -> None:
    page = render_blast_radius(_hostile_blast(), {}, {})
    for raw in (EVIL_ROOT, EVIL_OWNER, EVIL_CHILD, EVIL_RELATION, "<svg onload"):
        assert raw not in page
    assert "&lt;i&gt;merge&lt;/i&gt;" in page
    assert page.count("</script>") == 3


def test_lineage_layout_choice() -> None:
    result, details, edges = _lineage()
    layers = _graph(render_lineage(result, details, edges))
    assert layers["options"]["layout"]["hierarchical"]["direction"] == "UD"
    assert {n["id"]: n["level"] for n in layers["nodes"]} == {
        "meta-llama/Llama-3.1-8B": 0,
        "meta-llama/Llama-3.1-8B-Instruct": 1,
        "unsloth/Llama-3.1-8B-Instruct-bnb-4bit": 2,
        "NousResearch/Hermes-3-Llama-3.1-8B": 2,
        "mlabonne/Hermes-3-Llama-3.1-8B-lorablated": 3,
        'evil-org/"><script>window.__pwned=1</script>': 2,
    }
    physics = _graph(render_lineage(result, details, edges, layout="physics"))
    assert "hierarchical" not in physics["options"]["layout"]
    assert all("level" not in n for n in physics["nodes"])


def test_cli_lineage_layout_option(sample_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mlsc.cli.app import app

    db = sample_db
    for layout, hierarchical in (("physics", False), ("layers", True)):
        page = tmp_path / f"{layout}.html"
        run = CliRunner().invoke(
            app, ["lineage", TARGET, "--db", str(db), "--html", str(page), "--layout", layout]
        )
        assert run.exit_code == 0, run.output
        opts = _graph(page.read_text(encoding="utf-8"))["options"]["layout"]
        assert ("hierarchical" in opts) is hierarchical


# ------------------------------------------------------------------------------------------
# In the browser


_TABLE_JS = """
var t = document.getElementById(arguments[0]);
return Array.prototype.map.call(t.tBodies[0].rows, function (r) {
  return Array.prototype.map.call(r.cells, function (c) { return c.textContent; });
});
"""
_BARS_JS = """
return Array.prototype.map.call(
  document.querySelectorAll('#' + arguments[0] + ' g.bar'), function (g) {
    return [g.getAttribute('data-key'), Number(g.getAttribute('data-count')),
            g.querySelector('text.n').textContent];
  });
"""
_LEGEND_JS = """
var out = {};
document.querySelectorAll('#mlsc-relations [data-relation]').forEach(function (s) {
  out[s.getAttribute('data-relation')] = [Number(s.getAttribute('data-models')), s.textContent];
});
return out;
"""


def _open(drv: Any, tmp_path: Path, name: str, page: str) -> None:
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    _load(drv, path, timeout=90)
    assert _severe(drv.get_log("browser")) == []


def _check_blast_dom(drv: Any, out: dict[str, Any]) -> None:
    assert drv.execute_script(_TABLE_JS, "mlsc-affected") == _rows(out["affected"], AFFECTED_KEYS)
    assert drv.execute_script(_TABLE_JS, "mlsc-owners") == _owners(out)
    by_depth = [[d, n, f"{n:,}"] for d, n in out["by_depth"].items()]
    assert drv.execute_script(_BARS_JS, "mlsc-hist-depth") == by_depth
    by_relation = [[r, n, f"{n:,}"] for r, n in out["by_relation"].items()]
    assert drv.execute_script(_BARS_JS, "mlsc-hist-relation") == by_relation
    legend = drv.execute_script(_LEGEND_JS)
    for relation, (models, text) in legend.items():
        assert models == out["by_relation"].get(relation, 0), relation
        assert text.startswith(f"({models:,} model")
    assert set(out["by_relation"]) <= set(legend)


def _sort(drv: Any, table: str, key: str) -> tuple[str, list[str]]:
    drv.find_element("css selector", f'#{table} th[data-key="{key}"]').click()
    order = drv.find_element("css selector", f'#{table} th[data-key="{key}"]')
    return order.get_attribute("aria-sort"), drv.execute_script(_TABLE_JS, table)[0]


@pytest.mark.browser
def test_browser_blast_page_matches_the_json(
    driver: Any,  # noqa: F811
    sample: LadybugStore,
    tmp_path: Path,
) -> None:
    result, page = _sample_blast(sample)
    out = result.to_json()
    _open(driver, tmp_path, "blast", page)
    _check_blast_dom(driver, out)
    assert driver.find_element("css selector", "#mlsc-affected caption").text == (
        f"all {out['count']} affected models"
    )
    save_screenshot(driver, "blast-radius")

    # Sorting: downloads, most first; again, fewest first; id, A to Z; depth back again.
    top = max(out["affected"], key=lambda a: -1 if a["downloads"] is None else a["downloads"])
    assert _sort(driver, "mlsc-affected", "downloads") == (
        "descending",
        [_shown(top[k]) for k in AFFECTED_KEYS],
    )
    state, row = _sort(driver, "mlsc-affected", "downloads")
    assert state == "ascending"
    fewest = min((a["downloads"] for a in out["affected"]), key=lambda d: -1 if d is None else d)
    assert row[5] == _shown(fewest)
    state, row = _sort(driver, "mlsc-affected", "id")
    assert (state, row[1]) == ("ascending", min(a["id"] for a in out["affected"]))
    state, row = _sort(driver, "mlsc-owners", "models")
    most = max(_owners(out), key=lambda r: int(r[1].replace(",", "")))
    assert (state, row[1]) == ("descending", most[1])
    driver.execute_script("document.getElementById('mlsc-details').scrollIntoView()")
    save_screenshot(driver, "blast-radius-tables")


@pytest.mark.browser
def test_browser_blast_page_with_hostile_names(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    result = _hostile_blast()
    out = result.to_json()
    _open(driver, tmp_path, "hostile-blast", render_blast_radius(result, {}, {}))
    _check_blast_dom(driver, out)
    assert driver.execute_script(_TABLE_JS, "mlsc-applications") == [
        ["app:<svg onload=alert(3)>", "yes", f"{EVIL_CHILD} (depth 1): unpinned"]
    ]
    # text sorts by code unit: "<i>" first, the seed's "—" (U+2014) last
    assert _sort(driver, "mlsc-affected", "relation")[1][2] == EVIL_RELATION
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    for tag in ("img", "b", "i", "script[src]"):
        assert driver.find_elements("css selector", f"#mlsc-details {tag}") == []
    assert driver.find_elements("css selector", "#mlsc-details svg svg") == []
    save_screenshot(driver, "blast-radius-hostile")


@pytest.mark.browser
def test_browser_lineage_in_rows_by_depth(
    driver: Any,  # noqa: F811
    sample: LadybugStore,
    tmp_path: Path,
) -> None:
    # A model in the middle of the sample's 14-hop chain: ancestors above, descendants below.
    chain = blast_radius(sample, TARGET)
    middle = next(a.id for a in chain.affected if a.depth == 7)
    result, page = _sample_lineage(sample, middle)
    out = result.to_json()
    assert len(out["ancestors"]) >= 7 and out["descendants"]
    _open(driver, tmp_path, "lineage", page)
    for key in ("ancestors", "descendants"):
        assert driver.execute_script(_TABLE_JS, f"mlsc-{key}") == _rows(out[key], AFFECTED_KEYS)
    legend = driver.execute_script(_LEGEND_JS)
    relatives = [*out["ancestors"], *out["descendants"]]
    for relation, (models, _text) in legend.items():
        assert models == sum(e["relation"] == relation for e in relatives)

    depth = {middle: 0} | {e["id"]: -e["depth"] for e in out["ancestors"]}
    depth |= {e["id"]: e["depth"] for e in out["descendants"]}
    y = {
        k: round(v["y"])
        for k, v in driver.execute_script("return window.mlsc.network.getPositions()").items()
    }
    assert set(y) == set(depth)
    rows: dict[int, set[int]] = {}
    for node, d in depth.items():
        rows.setdefault(d, set()).add(y[node])
    assert all(len(ys) == 1 for ys in rows.values())  # one row per depth
    ordered = [rows[d].pop() for d in sorted(rows)]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)  # top to bottom
    assert all(y[e["id"]] < y[middle] for e in out["ancestors"])
    assert (
        driver.execute_script("return window.mlsc.nodes.get(arguments[0]).shape", middle) == "star"
    )
    save_screenshot(driver, "lineage")


@pytest.mark.browser
def test_browser_lineage_with_hostile_names(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    result, details, edges = _lineage()
    out = result.to_json()
    _open(driver, tmp_path, "hostile-lineage", render_lineage(result, details, edges))
    for key in ("ancestors", "descendants"):
        assert driver.execute_script(_TABLE_JS, f"mlsc-{key}") == _rows(out[key], AFFECTED_KEYS)
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.find_elements("css selector", "img, #mlsc-details script") == []
    state, row = _sort(driver, "mlsc-descendants", "downloads")
    assert (state, row[1]) == ("descending", "unsloth/Llama-3.1-8B-Instruct-bnb-4bit")
    save_screenshot(driver, "lineage-hostile")
