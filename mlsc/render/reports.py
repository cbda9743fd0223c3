"""Standalone, offline HTML pages for the reports where looking beats reading: the practices
beside their published figures, and a model's scorecard as a 3x3 heat map.

Charts are inline SVG and CSS, and a Content-Security-Policy of ``default-src 'none'`` forbids
any fetch; the only script a report page may run is the pages' one table sorter
(:data:`mlsc.render.html_tables.SORT_JS`, allowed by its hash), which sorts its tables. Every name in them (model ids, owners, fact values) is
attacker-controlled and escaped.
"""

from __future__ import annotations

from mlsc.queries.practices import Practices
from mlsc.queries.scorecard import PRINCIPLES, SUBJECTS, Cell, Scorecard
from mlsc.render.html_tables import SORT_JS
from mlsc.render.page import count, esc, static_page
from mlsc.render.text import fact_value

REPORT_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}"
    "h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}"
    "table{border-collapse:collapse}td,th{padding:.3rem .6rem;border:1px solid #ddd;"
    "vertical-align:top;text-align:left}th{background:#f6f6f6}.num{text-align:right}"
    "table.mlsc-sortable th{cursor:pointer;user-select:none}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    ".muted{color:#777}.cell{width:14rem}ul{margin:.2rem 0;padding-left:1.1rem}"
    "table.heat td.hc{width:11rem;height:5.5rem;text-align:center;vertical-align:middle;"
    "border:2px solid #fff}table.heat th{background:none;border:none;text-align:center;"
    "vertical-align:middle}"
    ".hs{font-size:1.6rem;font-weight:600}.hk,.hv{font-size:.8rem}.hv{font-weight:600}"
    ".key{font-size:.85rem;color:#555}.key span{display:inline-block;width:8rem;height:.8rem;"
    "vertical-align:middle;margin:0 .3rem;border:1px solid #ccc}.key .sw{width:1.4rem}"
    ".ramp{background:linear-gradient(90deg,rgb(215,48,39),rgb(254,224,139),rgb(26,152,80))}"
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _bars(rows: list[tuple[str, float | None, float | None]], width: int = 520) -> str:
    """Horizontal bars on a log scale (the shares span 0.1% to 100%): ours and published."""
    import math

    def x(value: float | None) -> float:
        if not value:
            return 0.0
        return max(0.0, min(1.0, (math.log10(value * 100) + 2) / 4)) * width

    height = 34 * len(rows) + 30
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 330}' height='{height}' "
           "role='img' aria-label='shares, log scale'>"]  # fmt: skip
    for i, (label, ours, published) in enumerate(rows):
        y = 20 + i * 34
        out.append(f"<text x='0' y='{y + 12}' font-size='12'>{esc(label, 60)}</text>")
        out.append(f"<rect x='250' y='{y}' width='{x(ours):.1f}' height='12' fill='#1f77b4'/>")
        out.append(f"<text x='{255 + x(ours):.1f}' y='{y + 11}' font-size='11'>{_pct(ours)}</text>")
        if published is not None:
            out.append(
                f"<rect x='250' y='{y + 14}' width='{x(published):.1f}' height='8' fill='#ff9f1c'/>"
            )
            out.append(
                f"<text x='{255 + x(published):.1f}' y='{y + 22}' font-size='10' "
                f"fill='#9c5a00'>published {_pct(published)}</text>"
            )
    for tick, label in ((0.0001, "0.01%"), (0.001, "0.1%"), (0.01, "1%"), (0.1, "10%"),
                        (1.0, "100%")):  # fmt: skip
        tx = 250 + x(tick)
        out.append(f"<line x1='{tx:.1f}' x2='{tx:.1f}' y1='10' y2='{height - 14}' stroke='#eee'/>")
        out.append(
            f"<text x='{tx - 12:.1f}' y='{height - 2}' font-size='10' fill='#777'>{label}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _unit_bars(rows: list[tuple[str, float | None, str]], width: int = 400) -> str:
    """Horizontal bars for values from 0 to 1 (linear), each with its label and text."""
    height = 26 * len(rows) + 10
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 330}' height='{height}' "
           "role='img' aria-label='scores from 0 to 1'>"]  # fmt: skip
    for i, (label, value, text) in enumerate(rows):
        y = 6 + i * 26
        w = max(0.0, min(1.0, value or 0.0)) * width
        out.append(f"<text x='0' y='{y + 12}' font-size='12'>{esc(label, 60)}</text>")
        out.append(f"<rect x='250' y='{y}' width='{width}' height='14' fill='#eeeeee'/>")
        out.append(f"<rect x='250' y='{y}' width='{w:.1f}' height='14' fill='{_colour(value)}'/>")
        out.append(f"<text x='{256 + width}' y='{y + 12}' font-size='12'>{esc(text, 40)}</text>")
    out.append("</svg>")
    return "".join(out)


def _top_bars(items: list[tuple[str, int]], width: int = 520) -> str:
    if not items:
        return "<p class='muted'>no data</p>"
    biggest = max(v for _, v in items) or 1
    height = 20 * len(items) + 10
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 300}' height='{height}'>"]
    for i, (name, value) in enumerate(items):
        y = 5 + i * 20
        w = value / biggest * width
        out.append(f"<text x='0' y='{y + 12}' font-size='12'>{esc(name, 40)}</text>")
        out.append(f"<rect x='280' y='{y}' width='{w:.1f}' height='14' fill='#d62728'/>")
        out.append(f"<text x='{285 + w:.1f}' y='{y + 12}' font-size='11'>{value:,}</text>")
    out.append("</svg>")
    return "".join(out)


def _pinning(report: Practices) -> str:
    pins = report.application_pinning
    if not pins.references:
        return ""
    return (
        "<h2>Applications: references pinned to a commit</h2>"
        f"<p>{pins.pinned:,} of {pins.known:,} known ({_pct(pins.share)}); "
        f"{pins.unknown:,} references of unknown pinning (e.g. PeaTMOSS links); "
        f"{count(pins.references, 'reference')} from {count(pins.applications, 'application')}.</p>"
    )


def render_practices(report: Practices) -> str:
    """The practices page: shares (with what they are over) and the writer concentration."""
    scope = f" of {report.scope}" if report.scope else ""
    rows = "".join(
        f"<tr><td>{esc(f.label)}</td>{num(f.value, _pct(f.value))}"
        f"{num(f.denominator, f'{f.numerator:,} / {f.denominator:,}')}"
        f"{num(f.published, _pct(f.published))}<td>{esc(f.source or '')}</td></tr>"
        for f in report.figures
    )
    dist = report.models_per_writer
    per_model = report.writers_per_model
    return static_page(
        f"mlsc practices{scope}",
        REPORT_STYLE,
        [
            f"<h1>Security practices over {report.models:,} ingested models{esc(scope)}</h1>",
            "<p class='muted'>Shares are over what is known (the second number); published "
            "figures for Hugging Face in orange.</p>",
            _bars([(f.label, f.value, f.published) for f in report.figures]),
            f"<table class='mlsc-sortable' id='figures'>{head(FIGURE_COLUMNS)}"
            f"<tbody>{rows}</tbody></table>",
            _pinning(report),
            "<h2>Who can write: models per account (the heavy tail)</h2>",
            f"<p>median {dist.p50:g}, p90 {dist.p90:g}, p99 {dist.p99:g}, max {dist.max:,} over "
            f"{dist.count:,} accounts; accounts per model: median {per_model.p50:g}, max "
            f"{per_model.max:,}.</p>",
            _top_bars(list(dist.top)),
        ],
        SORT_JS,
    )


_value = fact_value


_STOPS = ((0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80)))
"""Red (0, worst) through yellow to green (1, best); the number is always written beside."""

UNKNOWN_FILL = "repeating-linear-gradient(45deg,#f4f4f4 0 6px,#d9d9d9 6px 8px)"
"""Unknown cells are hatched grey: visibly no colour of the scale, never good."""


def _rgb(score: float) -> tuple[int, int, int]:
    score = max(0.0, min(1.0, score))
    (x0, c0), (x1, c1) = (_STOPS[0], _STOPS[1]) if score <= 0.5 else (_STOPS[1], _STOPS[2])
    t = (score - x0) / (x1 - x0)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(c0, c1, strict=True))
    return r, g, b


def _colour(score: float | None) -> str:
    if score is None:
        return "#eeeeee"
    return "rgb({},{},{})".format(*_rgb(score))


def _ink(score: float) -> str:
    """Text colour readable on the cell's fill."""
    r, g, b = _rgb(score)
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def _score(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f}"


FIGURE_COLUMNS = (("figure", False), ("share", True), ("over", True), ("published", True),
                  ("source", False))  # fmt: skip


def head(columns: tuple[tuple[str, bool], ...]) -> str:
    """A table's header row, each cell saying whether its column sorts as numbers."""
    return "<thead><tr>" + "".join(
        f"<th data-type='{'num' if numeric else 'text'}' tabindex='0'>{esc(name)}</th>"
        for name, numeric in columns
    ) + "</tr></thead>"


def num(key: float | None, shown: str) -> str:
    """A numeric cell showing ``shown`` and sorting by ``key`` (an unknown sorts lowest)."""
    return f"<td class='num' data-v='{-1 if key is None else key!r}'>{esc(shown)}</td>"


def _attr(value: float | None) -> str:
    return "" if value is None else repr(value)


def _heat_cell(cell: Cell) -> str:
    """One cell of the heat map: coloured by its score, hatched grey when unknown."""
    state = "unknown" if cell.score is None else "vetoed" if cell.vetoed else "known"
    known = f"{cell.known_facts} of {len(cell.facts)} facts known"
    if cell.score is None:
        style, label = f"background:{UNKNOWN_FILL};color:#555", "unknown"
    else:
        style, label = f"background:{_colour(cell.score)};color:{_ink(cell.score)}", (
            _score(cell.score)
        )
    veto = "<div class='hv'>veto: a critical file</div>" if state == "vetoed" else ""
    return (
        f"<td class='hc {state}' data-principle='{cell.principle}' "
        f"data-subject='{cell.subject}' data-state='{state}' data-score='{_attr(cell.score)}' "
        f"data-known-facts='{cell.known_facts}' data-facts='{len(cell.facts)}' "
        f"style='{style}'><div class='hs'>{label}</div><div class='hk'>{known}</div>{veto}</td>"
    )


def _heat_map(card: Scorecard) -> str:
    """The 3x3 heat map (principles down, subjects across) and its colour key."""
    rows = ["<table class='heat' id='heatmap'><tr><th></th>",
            *(f"<th>{s}</th>" for s in SUBJECTS), "</tr>"]  # fmt: skip
    for p in PRINCIPLES:
        rows.append(f"<tr><th>{p.capitalize()}</th>")
        rows.extend(_heat_cell(card.cell(p, s)) for s in SUBJECTS)
        rows.append("</tr>")
    rows.append("</table>")
    key = (
        "<p class='key'><span class='ramp'></span> 0 worst &#8594; 1 best "
        f"<span class='sw' style='background:{UNKNOWN_FILL}'></span> unknown: no known fact "
        "(counted as 0 in overall)</p>"
    )
    return "".join(rows) + key


def render_scorecard(card: Scorecard) -> str:
    """The scorecard page: the 3x3 grid coloured by score, the facts, the coverage, the
    weakest link."""

    grid = ["<table><tr><th></th>", *(f"<th>{s}</th>" for s in SUBJECTS), "</tr>"]
    for p in PRINCIPLES:
        grid.append(f"<tr><th>{p}</th>")
        for s in SUBJECTS:
            cell = card.cell(p, s)
            facts = "".join(
                f"<li>{esc(f.name)}{' <b>(veto)</b>' if f.veto else ''}: "
                f"{esc(_value(f.value), 160)} <span class='muted'>({_score(f.score)})</span></li>"
                for f in cell.facts
            )
            known = f"{cell.known_facts} of {len(cell.facts)} facts known"
            grid.append(
                f"<td class='cell' style='border-left:8px solid {_colour(cell.score)}'>"
                f"<b>{_score(cell.score)}</b> <span class='muted'>{known}</span>"
                f"<ul>{facts}</ul></td>"
            )
        grid.append("</tr>")
    grid.append("</table>")
    coverage = _unit_bars(
        [
            ("overall (unknown = 0)", card.overall, _score(card.overall)),
            (f"over the {card.known_cells} known cells", card.overall_known,
             _score(card.overall_known)),
            ("coverage: cells known", card.known_cells / 9, f"{card.known_cells} of 9"),
        ]
    )  # fmt: skip
    weak = card.weakest_upstream
    if weak is None:
        upstream = f"<p>No scored ancestor ({card.ancestors_scored} ancestors).</p>"
    else:
        pulled = "".join(
            f"<li>{c.principle} of {c.subject}: {_score(c.score)} — "
            + ", ".join(esc(f.name) for f in c.facts if f.score is not None and f.score < 0.5)
            + "</li>"
            for c in weak.pulled_down_by
        )
        why = (
            " <b>A scanner rates one of its files critical</b>: everything derived from it "
            f"inherits the file (<code>mlsc blast-radius {esc(weak.model)}</code>)."
            if weak.critical
            else ""
        )
        upstream = (
            f"<p><b>{esc(weak.model)}</b> at depth {weak.depth}, overall "
            f"{_score(weak.overall)}, {weak.known_cells} of 9 cells known.{why}</p>"
            f"<ul>{pulled or '<li>nothing below 0.5</li>'}</ul>"
        )
    return static_page(
        f"mlsc scorecard {card.model}",
        REPORT_STYLE,
        [
            f"<h1>Scorecard of {esc(card.model)}: overall {_score(card.overall)}</h1>",
            f"<p id='overall' data-overall='{card.overall!r}' "
            f"data-overall-known='{_attr(card.overall_known)}' "
            f"data-known-cells='{card.known_cells}'>"
            f"overall <b>{_score(card.overall)}</b> (a lower bound: an unknown cell counts as 0, "
            "since what is not known is not assured); "
            + (
                f"{_score(card.overall_known)} over the {card.known_cells} of 9 cells with a "
                "known fact.</p>"
                if card.known_cells
                else "no cell has a known fact.</p>"
            ),
            _heat_map(card),
            coverage,
            "<h2>The facts behind each cell</h2>",
            "<p class='muted'>0 worst, 1 best; unknown: no known fact. A veto fact at 0 (a "
            "file a scanner rates critical) sets its cell to 0.</p>",
            *grid,
            f"<h2>Weakest link upstream ({card.ancestors_scored} ancestors scored)</h2>",
            upstream,
        ],
    )
