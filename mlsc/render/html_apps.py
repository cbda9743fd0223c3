"""The applications ring of a blast-radius page: each application loading a drawn model as a
node of its own (a square, outside the models), an edge to each model it loads, labelled and
coloured by the reference's pin status, and the legend's counts (the CLI's counts).

    >>> from mlsc.render.html_apps import STATUS_COLOURS
    >>> sorted(STATUS_COLOURS)
    ['pinned', 'pinned-before', 'unknown', 'unpinned']

Application ids and revisions come from code and from GitHub: attacker-controlled. Every
text is cleaned here and escaped by the page; tooltips become text-only elements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import networkx as nx

from mlsc.queries.results import Application
from mlsc.render.page import clean, count, esc

__all__ = ["APP_STYLE", "STATUS_COLOURS", "add_applications", "applications_legend"]

APP_STYLE = ("#5b3cc4", "#2e1a78", "application: loads an affected model (outer ring)")
"""(fill, border, legend text) of an application; an unexposed one is drawn pale."""
SAFE_FILL = "#d9d2f5"
STATUS_COLOURS: dict[str, str] = {
    "unpinned": "#d62728",
    "pinned": "#ff7f0e",
    "unknown": "#7f7f7f",
    "pinned-before": "#2ca02c",
}
"""Edge colour of a reference by its pin status."""


def add_applications(graph: nx.DiGraph[str], applications: Sequence[Application], cap: int) -> int:
    """Add the applications loading a model drawn in ``graph`` (at most ``cap``, in the
    result's order: exposed first), each with an edge to every drawn model it loads; return
    how many were drawn. Their ring is one step beyond the deepest drawn model."""
    drawn = 0
    ring = 1 + max((int(d.get("depth", 0)) for _, d in graph.nodes(data=True)), default=0)
    for app in applications:
        models = [m for m in app.models if graph.has_node(m.id)]
        if not models or drawn >= cap:
            continue
        key = f"app:{app.id}"
        fill = APP_STYLE[0] if app.exposed else SAFE_FILL
        lines = [clean(app.id), "application: " + ("exposed" if app.exposed else "not exposed")]
        lines += [
            f"  {clean(m.id)} (depth {m.depth}): {m.status}"
            + (f" @ {clean(m.revision, 60)}" if m.revision else "")
            + (f"; {m.note}" if m.note else "")
            for m in models
        ]
        graph.add_node(
            key,
            label=clean(app.id, 60),
            title="\n".join(lines),
            shape="square",
            size=12,
            kind="application",
            application=clean(app.id),
            exposed=app.exposed,
            depth=ring,
            level=ring,
            ingested=True,
            borderWidth=2,
            color={"background": fill, "border": APP_STYLE[1],
                   "highlight": {"background": fill, "border": "#000000"},
                   "hover": {"background": fill, "border": "#000000"}},
        )  # fmt: skip
        for m in models:
            colour = STATUS_COLOURS[m.status]
            graph.add_edge(
                key,
                m.id,
                kind="uses",
                status=m.status,
                label=m.status,
                title=f"{clean(app.id)} loads {clean(m.id)}: {m.status}"
                + (f" @ {clean(m.revision, 60)}" if m.revision else ""),
                color={"color": colour, "highlight": colour, "hover": colour},
                dashes=[2, 4],
                font={"size": 10, "color": colour, "strokeWidth": 2},
                weight=1.5,
            )
        drawn += 1
    return drawn


def applications_legend(applications: Sequence[Application], drawn: int) -> str:
    """The legend's applications section: counts as the CLI gives them, and by status."""
    if not applications:
        return (
            '<h2>Applications</h2><p id="mlsc-apps" data-count="0" data-exposed="0">'
            + esc("no application in the knowledge base loads an affected model")
            + "</p>"
        )
    exposed = sum(a.exposed for a in applications)
    statuses: Counter[str] = Counter(m.status for a in applications for m in a.models)
    fill, border, text = APP_STYLE
    parts = [
        "<h2>Applications</h2>",
        f'<p id="mlsc-apps" data-count="{len(applications)}" data-exposed="{exposed}" '
        f'data-drawn="{drawn}">'
        + esc(
            f"{count(len(applications), 'application')} load{'s' if len(applications) == 1 else ''} an affected model, {exposed:,} exposed"
        )
        + "</p><ul>",
        f'<li><span class="sw sq" style="background:{fill};border-color:{border}"></span>'
        f"{esc(text)}</li>",
        f'<li><span class="sw sq" style="background:{SAFE_FILL};border-color:{border}"></span>'
        f"{esc('application: not exposed (every pin predates --since)')}</li>",
    ]
    for status, colour in STATUS_COLOURS.items():
        parts.append(
            f'<li><span class="ln dash" style="border-top-color:{colour}"></span>'
            f'{esc(status)} <span class="count" data-status="{esc(status)}">'
            f"({statuses.get(status, 0)})</span></li>"
        )
    parts.append("</ul>")
    return "\n".join(parts)
