"""The signing report as a page: signed and verified commits per organisation and per
repository, as bars with their counts written beside, and the same numbers as tables.

    >>> from mlsc.queries.signing import SigningReport, SigningRow
    >>> repo = SigningRow("acme/a", 4, 2, 1, 1, "2025-02-01T00:00:00Z", "3" * 40)
    >>> page = render_signing(SigningReport((repo,), (repo,)))
    >>> "data-id='acme/a' data-commits='4' data-signed='2'" in page
    True

Like the other report pages it holds no script: the bars are inline SVG under a policy of
``default-src 'none'``. Repository and organisation ids are attacker-controlled and escaped.
"""

from __future__ import annotations

from mlsc.queries.signing import SigningReport, SigningRow
from mlsc.render.html_tables import SORT_JS
from mlsc.render.page import esc, static_page
from mlsc.render.reports import REPORT_STYLE, head, num

__all__ = ["render_signing"]

VERIFIED, SIGNED, UNSIGNED = "#1a9850", "#a6d96a", "#f4a582"
"""Fills: signed and verified; signed, not verified; unsigned. Unknown is hatched grey."""

_STYLE = REPORT_STYLE + (
    ".legend span{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;"
    "margin:0 .3rem 0 .8rem;border:1px solid #bbb}.legend{font-size:.85rem;color:#444}"
    ".hatch{background:repeating-linear-gradient(45deg,#f4f4f4 0 4px,#bdbdbd 4px 6px)}"
    "code{font-size:.85rem}.when{white-space:nowrap}"
)


def _pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "-"


def _bars(kind: str, rows: tuple[SigningRow, ...], width: int = 420) -> str:
    """One stacked bar per row, the whole bar being its commits: verified, signed only,
    unsigned, unknown; the counts as text on the right."""
    pattern = f"hatch-{kind}"
    height = 24 * len(rows) + 6
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 620}' height='{height}' "
        f"role='img' aria-label='signed and verified commits per {kind}' class='bars'>",
        f"<defs><pattern id='{pattern}' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'><rect width='6' height='6' fill='#f4f4f4'/>"
        "<rect width='2' height='6' fill='#bdbdbd'/></pattern></defs>",
    ]
    for i, r in enumerate(rows):
        y = 4 + i * 24
        parts = (
            ("verified", r.verified, VERIFIED),
            ("signed-only", r.signed - r.verified, SIGNED),
            ("unsigned", r.commits - r.signed - r.unknown, UNSIGNED),
            ("unknown", r.unknown, f"url(#{pattern})"),
        )
        out.append(
            f"<g class='bar' data-kind='{kind}' data-id='{esc(r.id)}' data-commits='{r.commits}' "
            f"data-signed='{r.signed}' data-verified='{r.verified}' data-unknown='{r.unknown}'>"
            f"<title>{esc(r.id)}</title>"
            f"<text x='0' y='{y + 13}' font-size='12'>{esc(r.id, 42)}</text>"
        )
        x = 290.0
        for name, n, fill in parts:
            w = n / r.commits * width if r.commits else 0.0
            if w > 0:
                out.append(
                    f"<rect class='{name}' x='{x:.1f}' y='{y}' width='{w:.1f}' height='16' "
                    f"fill='{fill}' stroke='#fff' stroke-width='0.5'/>"
                )
            x += w
        text = (
            f"{r.signed:,} of {r.commits:,} signed ({_pct(r.signed, r.commits)}), "
            f"{r.verified:,} verified, {r.unknown:,} unknown"
        )
        out.append(
            f"<text class='counts' x='{298 + width}' y='{y + 13}' font-size='12'>{text}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _table(kind: str, rows: tuple[SigningRow, ...]) -> str:
    """The same numbers, one row each; the columns are the JSON keys."""
    org = kind == "organisation"
    names = ("id", *(("repositories",) if org else ()), "commits", "signed", "verified",
            "unknown", "first_signed", "first_signed_sha")  # fmt: skip
    numeric = {"repositories", "commits", "signed", "verified", "unknown"}
    out = [f"<table class='rows mlsc-sortable' data-kind='{kind}'>",
           head(tuple((h, h in numeric) for h in names)), "<tbody>"]  # fmt: skip
    for r in rows:
        sha = r.first_signed_sha or ""
        cells = [
            f"<td>{esc(r.id)}</td>",
            *((num(r.repositories, f"{r.repositories:,}"),) if org else ()),
            num(r.commits, f"{r.commits:,}"),
            f"<td class='num' data-v='{r.signed}'>{r.signed:,} <span class='muted'>"
            f"({_pct(r.signed, r.commits)})</span></td>",
            num(r.verified, f"{r.verified:,}"),
            num(r.unknown, f"{r.unknown:,}"),
            f"<td class='when'>{esc(r.first_signed or '-')}</td>",
            f"<td title='{esc(sha)}'><code>{esc(sha[:12] or '-')}</code></td>",
        ]
        out.append(f"<tr data-id='{esc(r.id)}'>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _section(title: str, kind: str, rows: tuple[SigningRow, ...], limit: int) -> list[str]:
    if not rows:
        return [f"<h2>{title}</h2>", f"<p class='muted'>No {kind} with commits.</p>"]
    shown = rows[:limit]
    note = (
        f"<p class='muted'>The first {len(shown):,} of {len(rows):,} by commits "
        "(<code>--limit</code> shows more; <code>-f json</code> has them all).</p>"
        if len(shown) < len(rows)
        else ""
    )
    return [f"<h2>{title} ({len(rows):,}), by commits</h2>", note, _bars(kind, shown),
            _table(kind, shown)]  # fmt: skip


def render_signing(report: SigningReport, *, author: str | None = None, limit: int = 30) -> str:
    """The signing page: per organisation, then per repository, the first ``limit`` rows of
    each by commits."""
    scope = f" of {author}" if author else ""
    commits = sum(r.commits for r in report.repositories)
    legend = (
        f"<p class='legend'><span style='background:{VERIFIED}'></span>signed and verified"
        f"<span style='background:{SIGNED}'></span>signed, not verified"
        f"<span style='background:{UNSIGNED}'></span>unsigned"
        "<span class='hatch'></span>unknown: nobody reported a signing status (the Hugging "
        "Face commit list has none), not counted as unsigned</p>"
    )
    body = [
        f"<h1>Commit signing{esc(scope)}: {commits:,} commits in "
        f"{len(report.repositories):,} repositories</h1>",
        "<p class='muted'>Signed: the commit carries a signature. Verified: the signature "
        "checked out (git: good; GitHub: verified). Each bar is all of a history's commits.</p>",
    ]
    if not report.repositories:
        body.append(
            "<p><b>No commits yet</b>: <code>mlsc ingest git PATH</code>, <code>mlsc ingest "
            "github</code> or <code>mlsc ingest hf</code> records them.</p>"
        )
    else:
        body.append(legend)
        body += _section("Organisations", "organisation", report.organisations, limit)
        body += _section("Repositories", "repository", report.repositories, limit)
    return static_page(f"mlsc signing{scope}", _STYLE, body, SORT_JS)
