"""The parts of a graph page under the graph: inline SVG histograms with their counts as
text, and tables a click on a header sorts (by :data:`SORT_JS`, run by the page itself).

    >>> from mlsc.render.html_tables import Column, histogram, table
    >>> "<svg" in histogram("by-depth", "by depth", [("0", 1), ("1", 3)])
    True
    >>> table("t", "models", [Column("id"), Column("downloads", numeric=True)],
    ...       [("org/m", 10)], total=1).count("<tr>")
    2

Every value shown is attacker-controlled (ids, owners, relations): each goes through
:func:`~mlsc.render.page.esc`; the script reads cells' text and ``data-v`` only, never
writes markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlsc.render.page import esc, fmt_int

__all__ = ["NONE", "ROW_CAP", "SECTION_CSS", "SORT_JS", "Column", "histogram", "table"]

ROW_CAP = 5_000
"""Rows a table on a page lists at most (it says "first N of M" beyond)."""
NONE = "—"
"""What a cell shows for a missing value (JSON ``null``)."""
_BAR_WIDTH = 260
_ROW_HEIGHT = 18
_LABEL_WIDTH = 120


@dataclass(frozen=True)
class Column:
    """A table column: its name (the JSON key) and whether it sorts as a number."""

    key: str
    numeric: bool = False


def histogram(
    key: str, title: str, bars: Sequence[tuple[str, int]], colours: dict[str, str] | None = None
) -> str:
    """A horizontal bar chart ``<figure id="mlsc-hist-KEY">``: one bar per (label, count), in
    the order given, the count written beside it (``data-key``, ``data-count`` on each)."""
    colours = colours or {}
    top = max((n for _, n in bars), default=0) or 1
    height = _ROW_HEIGHT * len(bars) + 4
    width = _LABEL_WIDTH + _BAR_WIDTH + 70
    rows = []
    for i, (label, n) in enumerate(bars):
        y = i * _ROW_HEIGHT + 2
        bar = max(round(_BAR_WIDTH * n / top), 1 if n else 0)
        fill = colours.get(label, "#ff9f1c")
        rows.append(
            f'<g class="bar" data-key="{esc(label)}" data-count="{n}">'
            f'<text class="k" x="{_LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">'
            f"{esc(label, 40)}</text>"
            f'<rect x="{_LABEL_WIDTH}" y="{y + 2}" width="{bar}" height="{_ROW_HEIGHT - 5}" '
            f'fill="{fill}" rx="2"></rect>'
            f'<text class="n" x="{_LABEL_WIDTH + bar + 5}" y="{y + 13}">{n:,}</text></g>'
        )
    total = sum(n for _, n in bars)
    return (
        f'<figure class="hist" id="mlsc-hist-{esc(key)}" data-total="{total}">'
        f"<figcaption>{esc(title)}</figcaption>"
        f'<svg width="{width}" height="{height}" '
        f'role="img" aria-label="{esc(title)}">' + "".join(rows) + "</svg></figure>"
    )


def _cell(value: object, column: Column) -> str:
    if column.numeric:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        sort = -1 if number is None else number
        shown = NONE if value is None else fmt_int(number) if number is not None else esc(value)
        return f'<td class="num" data-v="{sort}">{shown}</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    return f"<td>{NONE if value is None else esc(value)}</td>"


def table(
    key: str,
    noun: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    *,
    total: int,
    cap: int = ROW_CAP,
    sortable: bool = True,
) -> str:
    """``<table id="mlsc-KEY">`` of the first ``cap`` of ``rows`` (``total`` in all), its
    caption saying how many of how many ``noun`` it lists; sorted on a header's click."""
    shown = rows[:cap]
    if not total:
        caption = f"no {noun}"
    elif len(shown) < total:
        caption = f"first {len(shown):,} of {total:,} {noun} (the JSON output lists all)"
    else:
        caption = f"all {total:,} {noun}"
    head = "".join(
        f'<th data-key="{esc(c.key)}" data-type="{"num" if c.numeric else "text"}"'
        + (' tabindex="0" title="click to sort"' if sortable else "")
        + f">{esc(c.key)}</th>"
        for c in columns
    )
    body = "".join(
        "<tr>" + "".join(_cell(v, c) for v, c in zip(row, columns, strict=True)) + "</tr>"
        for row in shown
    )
    cls = ' class="mlsc-sortable"' if sortable else ""
    return (
        f'<table id="mlsc-{esc(key)}"{cls} data-total="{total}" data-shown="{len(shown)}">'
        f"<caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


SECTION_CSS = """
#mlsc-details { padding: 4px 20px 24px; }
#mlsc-details h2 { font-size: 1.05rem; margin: 18px 0 6px; }
#mlsc-details p.why { color: #444; font-size: 0.9rem; margin: 2px 0 8px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.hist { margin: 0; background: #fff; border: 1px solid #d6d6d6; border-radius: 6px;
  padding: 8px 12px; }
figure.hist figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 4px; }
figure.hist text { font-size: 12px; fill: #333; font-family: system-ui, sans-serif; }
figure.hist text.n { fill: #555; }
#mlsc-details table { border-collapse: collapse; background: #fff; font-size: 0.85rem;
  margin-bottom: 8px; }
#mlsc-details caption { text-align: left; color: #555; padding: 4px 0; caption-side: top; }
#mlsc-details th, #mlsc-details td { border: 1px solid #e0e0e0; padding: 3px 8px;
  text-align: left; max-width: 420px; overflow-wrap: anywhere; unicode-bidi: isolate; }
#mlsc-details td.num { text-align: right; font-variant-numeric: tabular-nums; }
#mlsc-details th { background: #f1f3f6; position: sticky; top: 0; }
table.mlsc-sortable th { cursor: pointer; user-select: none; }
table.mlsc-sortable th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.mlsc-sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
"""

SORT_JS = """
(function () {
  "use strict";
  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var ascending = current ? current === "descending" : !numeric;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      var cell = row.cells[index];
      var key = numeric ? Number(cell.getAttribute("data-v")) : cell.textContent;
      return {row: row, key: key, i: i};
    });
    rows.sort(function (a, b) {
      var c = numeric ? a.key - b.key : (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      return (ascending ? c : -c) || a.i - b.i;
    });
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.mlsc-sortable"), function (t) {
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(t, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(t, th); }
      });
    });
  });
})();
"""
"""Sorts a ``table.mlsc-sortable`` by the clicked header: numbers first descending, text
first ascending, a second click reverses; ties keep the CLI's order."""
