"""The scorecard and signing pages in headless chromium: what the heat map and the bars show
is what the JSON says, unknown is drawn as unknown, hostile names stay text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries.discrepancies import discrepancies
from mlsc.queries.scorecard import scorecard
from mlsc.queries.signing import signing_report
from mlsc.render.html_tables import SORT_JS
from mlsc.render.reports import render_scorecard
from mlsc.render.reports_findings import render_discrepancies
from mlsc.render.reports_signing import render_signing
from mlsc.scan import scan_path, scan_records
from tests.conftest import SAMPLE
from tests.graph.builders import PROV, derived, model
from tests.queries.test_scorecard import EVIL
from tests.queries.test_scorecard import graph as scorecard_graph
from tests.queries.test_signing import commit
from tests.render.screenshots import save_screenshot
from tests.render.test_html import driver  # noqa: F401  (the shared browser fixture)

HOSTILE_ORG = '"><img src=x onerror="window.__pwned=1">'
HOSTILE_REPO = "evil/<script>window.__pwned=1</script>"
HOSTILE_MODEL = 'evil/"><script>window.__pwned=1</script>'

pytestmark = pytest.mark.browser


def signing_graph() -> GraphBatch:
    """Two organisations (a hub one and its GitHub twin), a user, and a hostile organisation:
    signed, unsigned, verified, bad and unreported commits."""
    nodes = [
        model("acme/a"),
        model("acme/b"),
        model("acme/c"),
        model("solo/d"),
        model(HOSTILE_REPO, author=HOSTILE_ORG),
        NodeRecord("Actor", "acme", {"kind": "org", **PROV}),
        NodeRecord("Actor", "solo", {"kind": "user", **PROV}),
        NodeRecord("Actor", HOSTILE_ORG, {"kind": "org", **PROV}),
        NodeRecord("CodeRepository", "github.com/acme/train", {"host": "github.com", **PROV}),
        NodeRecord("Actor", "github:acme", {"kind": "org", **PROV}),
    ]
    commits: list[tuple[str, str, str | None, bool | None, str | None]] = [
        ("acme/a", "2025-01-01T00:00:00.000Z", None, None, "none"),  # git: unsigned
        ("acme/a", "2025-03-01T00:00:00.000Z", "gpg", True, "good"),
        ("acme/a", "2025-02-01T00:00:00.000Z", "ssh", False, "bad"),
        ("acme/a", "2025-03-02T00:00:00.000Z", "gpg", True, "good"),
        ("acme/b", "2025-04-01T00:00:00.000Z", None, None, None),  # hub: status unknown
        ("acme/b", "2025-04-02T00:00:00.000Z", None, None, None),
        ("acme/c", "2025-04-03T00:00:00.000Z", None, None, "none"),
        ("solo/d", "2025-05-01T00:00:00.000Z", "gpg", True, "valid"),
        ("github.com/acme/train", "2024-05-01T00:00:00.000Z", None, False, "unsigned"),
        ("github.com/acme/train", "2024-06-01T00:00:00.000Z", "gpg", True, "valid"),
        ("github.com/acme/train", "2024-06-02T00:00:00.000Z", "gpg", False, "unknown_key"),
        (HOSTILE_REPO, "2025-06-01T00:00:00.000Z", "gpg", True, "good"),
        (HOSTILE_REPO, "2025-06-02T00:00:00.000Z", None, None, "none"),
    ]
    edges = []
    for i, (repo, at, signature, verified, reason) in enumerate(commits):
        sha = f"{i:040x}"
        nodes.append(commit(sha, at, signature, verified, reason))
        label = "CodeRepository" if repo.startswith("github.com/") else "Model"
        edges.append(EdgeRecord("HAS_COMMIT", label, repo, "Commit", sha, PROV))
    return GraphBatch(nodes, edges)


def _open(drv: Any, tmp_path: Path, name: str, page: str) -> None:
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    drv.get(path.as_uri())
    errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def _no_script_ran(drv: Any) -> None:
    assert drv.execute_script("return typeof window.__pwned") == "undefined"
    assert drv.execute_script("return document.querySelectorAll('img').length") == 0
    scripts = drv.execute_script(
        "return Array.from(document.querySelectorAll('script')).map(s => s.textContent)"
    )
    assert scripts in ([], [SORT_JS])  # nothing but the table sorter


def _score(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


def _heat_map(drv: Any) -> list[dict[str, Any]]:
    return list(
        drv.execute_script(
            """
            return Array.from(document.querySelectorAll('#heatmap td.hc')).map(td => ({
              principle: td.dataset.principle, subject: td.dataset.subject,
              score: td.dataset.score, known_facts: Number(td.dataset.knownFacts),
              state: td.dataset.state, shown: td.querySelector('.hs').textContent,
              row: td.parentElement.rowIndex, column: td.cellIndex,
              fill: getComputedStyle(td).backgroundImage + ' ' + getComputedStyle(td).backgroundColor,
            }));
            """
        )
    )


def _check_heat_map(drv: Any, card: dict[str, Any]) -> list[dict[str, Any]]:
    cells = _heat_map(drv)
    assert len(cells) == 9
    by_key = {(c["principle"], c["subject"]): c for c in cells}
    for want in card["cells"]:
        got = by_key[(want["principle"], want["subject"])]
        assert _score(got["score"]) == want["score"]
        assert got["known_facts"] == want["known_facts"]
        if want["score"] is None:
            assert got["state"] == "unknown" and got["shown"] == "unknown"
            assert "repeating-linear-gradient" in got["fill"]  # hatched, not a colour
        else:
            assert got["shown"] == f"{want['score']:.2f}"
            assert "repeating-linear-gradient" not in got["fill"]
    # Principles down, subjects across, in the documented order.
    assert [(c["row"], c["column"]) for c in cells] == [
        (r, c) for r in (1, 2, 3) for c in (1, 2, 3)
    ]
    overall = drv.execute_script(
        "var d = document.getElementById('overall').dataset;"
        "return [d.overall, d.overallKnown, d.knownCells];"
    )
    assert (float(overall[0]), _score(overall[1]), int(overall[2])) == (
        card["overall"],
        card["overall_known"],
        card["known_cells"],
    )
    return cells


def test_scorecard_heat_map_matches_the_json(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    """shady/base: known good, bad and unknown cells, and a cell a critical file vetoes."""
    with LadybugStore(tmp_path / "kb") as store:
        store.write(scorecard_graph())
        scanned = tmp_path / "scan"
        scanned.mkdir()
        (scanned / "pytorch_model.bin").write_bytes(EVIL)
        store.write(scan_records(scan_path(scanned), "shady/base"))
        card = scorecard(store, "shady/base")
    data = card.to_json()
    states = {c["score"] is None for c in data["cells"]}
    assert states == {True, False}, "the graph must give both known and unknown cells"
    _open(driver, tmp_path, "scorecard", render_scorecard(card))
    cells = _check_heat_map(driver, data)
    vetoed = [c for c in cells if c["state"] == "vetoed"]
    assert [(c["principle"], c["subject"], c["shown"]) for c in vetoed] == [
        ("validity", "artifacts", "0.00")
    ]
    text = driver.find_element("tag name", "body").text
    assert f"overall {data['overall']:.2f}" in text and f"{data['known_cells']} of 9" in text
    save_screenshot(driver, "scorecard")


def test_scorecard_of_an_unknown_hostile_model(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    """Nothing known: nine hatched cells labelled unknown, overall 0, the name as text."""
    with LadybugStore(tmp_path / "kb") as store:
        placeholder = {"hub": "huggingface", "ingested": False, **PROV}  # named, not crawled
        store.write(GraphBatch([NodeRecord("Model", HOSTILE_MODEL, placeholder)]))
        card = scorecard(store, HOSTILE_MODEL)
    _open(driver, tmp_path, "scorecard-unknown", render_scorecard(card))
    cells = _check_heat_map(driver, card.to_json())
    assert {c["state"] for c in cells} == {"unknown"}
    assert (
        driver.find_element("tag name", "h1").text == f"Scorecard of {HOSTILE_MODEL}: overall 0.00"
    )
    _no_script_ran(driver)
    save_screenshot(driver, "scorecard-unknown")


def _bars(drv: Any, kind: str) -> list[dict[str, Any]]:
    return list(
        drv.execute_script(
            """
            return Array.from(document.querySelectorAll('g.bar[data-kind="' + arguments[0] + '"]'))
              .map(g => ({id: g.dataset.id, commits: Number(g.dataset.commits),
                          signed: Number(g.dataset.signed), verified: Number(g.dataset.verified),
                          unknown: Number(g.dataset.unknown),
                          counts: g.querySelector('text.counts').textContent,
                          widths: Object.fromEntries(Array.from(g.querySelectorAll('rect'))
                            .map(r => [r.getAttribute('class'), r.getBBox().width]))}));
            """,
            kind,
        )
    )


def _table(drv: Any, kind: str) -> list[list[str]]:
    return list(
        drv.execute_script(
            """
            var t = document.querySelector('table.rows[data-kind="' + arguments[0] + '"]');
            return Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.textContent));
            """,
            kind,
        )
    )


def test_signing_bars_and_tables_match_the_json(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    with LadybugStore(tmp_path / "kb") as store:
        store.write(signing_graph())
        report = signing_report(store)
    data = report.to_json()
    assert [o["id"] for o in data["organisations"]] == ["acme", "github:acme", HOSTILE_ORG]
    _open(driver, tmp_path, "signing", render_signing(report))
    for kind, rows in (("organisation", data["organisations"]),
                       ("repository", data["repositories"])):  # fmt: skip
        bars = _bars(driver, kind)
        # Every row, in the report's order (most commits first), with its numbers.
        assert [{k: b[k] for k in ("id", "commits", "signed", "verified", "unknown")}
                for b in bars] == [{k: r[k] for k in ("id", "commits", "signed", "verified",
                                                      "unknown")} for r in rows]  # fmt: skip
        for bar in bars:
            assert bar["counts"] == (
                f"{bar['signed']} of {bar['commits']} signed "
                f"({bar['signed'] / bar['commits'] * 100:.1f}%), "
                f"{bar['verified']} verified, {bar['unknown']} unknown"
            )
            whole = sum(bar["widths"].values())
            assert whole == pytest.approx(420, abs=0.5)  # each bar is all of its commits
            for part, n in (("verified", bar["verified"]), ("unknown", bar["unknown"]),
                            ("signed-only", bar["signed"] - bar["verified"])):  # fmt: skip
                assert bar["widths"].get(part, 0) == pytest.approx(
                    n / bar["commits"] * 420, abs=0.2
                )
        table = _table(driver, kind)
        head, body = table[0], table[1:]
        assert head[0] == "id" and "first_signed" in head
        assert [row[0] for row in body] == [r["id"] for r in rows]
        for row, want in zip(body, rows, strict=True):
            cells = dict(zip(head, row, strict=True))
            assert int(cells["commits"]) == want["commits"]
            assert int(cells["signed"].split()[0]) == want["signed"]
            assert (int(cells["verified"]), int(cells["unknown"])) == (
                want["verified"],
                want["unknown"],
            )
            assert cells["first_signed"] == (want["first_signed"] or "-")
            if kind == "organisation":
                assert int(cells["repositories"]) == want["repositories"]
    _no_script_ran(driver)
    assert HOSTILE_ORG in driver.find_element("tag name", "body").text
    save_screenshot(driver, "signing")


def test_signing_page_caps_rows_and_says_so(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    with LadybugStore(tmp_path / "kb") as store:
        store.write(signing_graph())
        report = signing_report(store)
    _open(driver, tmp_path, "signing-capped", render_signing(report, limit=2))
    assert [b["id"] for b in _bars(driver, "repository")] == [r.id for r in report.repositories[:2]]
    text = driver.find_element("tag name", "body").text
    assert f"The first 2 of {len(report.repositories)} by commits" in text


def test_signing_page_without_commits_says_how_to_get_them(
    driver: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    with LadybugStore(tmp_path / "kb") as store:
        store.write(GraphBatch([model("o/a")]))
        report = signing_report(store)
    _open(driver, tmp_path, "signing-empty", render_signing(report))
    assert driver.find_elements("css selector", "g.bar, table.rows") == []
    assert "No commits yet: mlsc ingest git PATH" in driver.find_element("tag name", "body").text


def test_discrepancies_counts_and_table_match_the_json(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    """The sample hub (a cycle, a child older than its base, missing and renamed bases) and a
    hostile model whose declared base is missing."""
    with LadybugStore(tmp_path / "kb") as store:
        ingest_snapshot(store, SAMPLE)
        gone = NodeRecord("Model", "gone/base", {"hub": "huggingface", "ingested": False, **PROV})
        store.write(GraphBatch([model(HOSTILE_MODEL), gone], [derived(HOSTILE_MODEL, "gone/base")]))
        report = discrepancies(store)
    data = report.to_json()
    assert HOSTILE_MODEL in {f["model"] for f in data["findings"]}
    _open(driver, tmp_path, "discrepancies", render_discrepancies(report))
    counts = driver.execute_script(
        "return Array.from(document.querySelectorAll('g.count')).map(g =>"
        " [g.dataset.by, g.dataset.key, Number(g.dataset.count),"
        "  g.querySelector('text:last-of-type').textContent]);"
    )
    assert [(by, key, n) for by, key, n, _ in counts] == [
        *(("severity", k, n) for k, n in data["by_severity"].items()),
        *(("kind", k, n) for k, n in data["by_kind"].items()),
    ]
    assert all(text == str(n) for _, _, n, text in counts)
    rows = driver.execute_script(
        "return Array.from(document.querySelectorAll('#findings tr')).slice(1).map(r =>"
        " Array.from(r.cells).map(c => c.innerText));"
    )
    assert [r[:3] for r in rows] == [
        [f["severity"], f["kind"], f["model"]] for f in data["findings"]
    ]
    assert [r[4] for r in rows] == [f["detail"] for f in data["findings"]]
    _no_script_ran(driver)
    save_screenshot(driver, "discrepancies")


def test_tables_sort_by_the_clicked_column(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    """The pages' one sorter: numbers as numbers (by their data-v), most first, text A to Z,
    a second click the other way; it is the only script and runs under the page's policy."""
    with LadybugStore(tmp_path / "kb") as store:
        store.write(signing_graph())
        report = signing_report(store)
    _open(driver, tmp_path, "signing-sorted", render_signing(report))

    def column(name: str) -> list[str]:
        return list(
            driver.execute_script(
                """
                var t = document.querySelector('table.rows[data-kind="repository"]');
                var i = Array.from(t.rows[0].cells).findIndex(c => c.textContent === arguments[0]);
                return Array.from(t.rows).slice(1).map(r => r.cells[i].textContent);
                """,
                name,
            )
        )

    def click(name: str) -> None:
        driver.find_element(
            "xpath", f"//table[@data-kind='repository']//th[text()='{name}']"
        ).click()

    by_commits = [r.id for r in report.repositories]
    assert column("id") == by_commits
    click("signed")
    signed = [int(s.split()[0]) for s in column("signed")]
    assert signed == sorted(signed, reverse=True) and signed[0] == 3 and signed[-1] == 0
    click("signed")
    assert [int(s.split()[0]) for s in column("signed")] == sorted(signed)
    click("id")
    assert column("id") == sorted(by_commits)
    assert driver.find_element(
        "xpath", "//table[@data-kind='repository']//th[text()='id']"
    ).get_attribute("aria-sort") == "ascending"
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
