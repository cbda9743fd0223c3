"""The discrepancy findings as a page: how many of each severity and kind, as bars, and a
table of the findings (severity, kind, model, related, detail, evidence), most severe first.

    >>> from mlsc.queries.discrepancies import Discrepancies, Discrepancy
    >>> found = Discrepancy("missing-base", "low", "o/m", ("o/base",), "base not ingested")
    >>> "data-kind='missing-base'" in render_discrepancies(Discrepancies((found,)))
    True

No script, like the other report pages; model ids, details and evidence are
attacker-controlled and escaped.
"""

from __future__ import annotations

import json

from mlsc.queries.discrepancies import SEVERITY_ORDER, Discrepancies
from mlsc.render.html_tables import SORT_JS
from mlsc.render.page import esc, static_page
from mlsc.render.reports import REPORT_STYLE, head

__all__ = ["render_discrepancies"]

SEVERITY_FILL = {"high": "#d73027", "medium": "#fdae61", "low": "#fee08b"}

_STYLE = REPORT_STYLE + (
    ".sev{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.85rem}"
    "#findings td:nth-child(-n+2){white-space:nowrap}td.detail{max-width:32rem}td.evidence{font-size:.8rem;max-width:24rem;word-break:break-all}"
)


def _count_bars(kind: str, counts: dict[str, int], width: int = 360) -> str:
    """One bar per key, the longest the biggest count, the count written beside."""
    biggest = max(counts.values(), default=0) or 1
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 260}' "
        f"height='{22 * len(counts) + 6}' role='img' aria-label='findings by {kind}'>"
    ]
    for i, (key, n) in enumerate(counts.items()):
        y = 4 + i * 22
        w = n / biggest * width
        fill = SEVERITY_FILL.get(key, "#4575b4") if kind == "severity" else "#4575b4"
        out.append(
            f"<g class='count' data-by='{kind}' data-key='{esc(key)}' data-count='{n}'>"
            f"<text x='0' y='{y + 12}' font-size='12'>{esc(key, 30)}</text>"
            f"<rect x='200' y='{y}' width='{w:.1f}' height='15' fill='{fill}'/>"
            f"<text x='{206 + w:.1f}' y='{y + 12}' font-size='12'>{n:,}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _evidence(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def render_discrepancies(report: Discrepancies, *, limit: int = 500) -> str:
    """The findings page: counts by severity and by kind, then the first ``limit`` findings."""
    found = report.findings
    shown = found[:limit]
    body = [f"<h1>Discrepancies: {len(found):,} findings</h1>",
            "<p class='muted'>What models claim against what their records, files and lineage "
            "say (<code>mlsc report discrepancies</code>).</p>"]  # fmt: skip
    if not found:
        body.append("<p><b>No findings</b> over the models in this knowledge base.</p>")
        return static_page("mlsc discrepancies", _STYLE, body)
    body += [
        "<h2>By severity</h2>",
        _count_bars("severity", report.by_severity),
        "<h2>By kind</h2>",
        _count_bars("kind", report.by_kind),
        "<h2>Findings, most severe first</h2>",
    ]
    if len(shown) < len(found):
        body.append(
            f"<p class='muted'>The first {len(shown):,} of {len(found):,} (<code>--limit</code> "
            "shows more; <code>-f json</code> has them all).</p>"
        )
    columns = (("severity", True), ("kind", False), ("model", False), ("related", False),
               ("detail", False), ("evidence", False))  # fmt: skip
    rows = [f"<table class='rows mlsc-sortable' id='findings'>{head(columns)}<tbody>"]
    for f in shown:
        fill = SEVERITY_FILL.get(f.severity, "#eee")
        rows.append(
            f"<tr data-severity='{esc(f.severity)}' data-kind='{esc(f.kind)}' "
            f"data-model='{esc(f.model)}'>"
            f"<td data-v='{SEVERITY_ORDER.get(f.severity, 9)}'><span class='sev' "
            f"style='background:{fill}'>{esc(f.severity)}</span></td>"
            f"<td>{esc(f.kind)}</td><td>{esc(f.model)}</td>"
            f"<td>{'<br>'.join(esc(r) for r in f.related) or '-'}</td>"
            f"<td class='detail'>{esc(f.detail, 1000)}</td>"
            f"<td class='evidence'>{esc(_evidence(dict(f.evidence)), 600)}</td></tr>"
        )
    rows.append("</tbody></table>")
    body.append("".join(rows))
    return static_page("mlsc discrepancies", _STYLE, body, SORT_JS)
