"""Standalone, offline HTML pages of a lineage or a blast radius: the door to them.

    >>> from mlsc.render.html import render_lineage, render_blast_radius
    >>> page = render_lineage(result, details, edge_details)  # a LineageResult

Where the parts live: :mod:`~mlsc.render.html_lineage` and :mod:`~mlsc.render.html_blast`
draw each page from its result, :mod:`~mlsc.render.html_graph` builds the graph they
share, :mod:`~mlsc.render.html_page` writes the page around it, :mod:`~mlsc.render.html_vis`
inlines vis-network, and :mod:`~mlsc.render.page` escapes and sets the policy.

The graph is built with networkx and laid out by pyvis into vis-network node and edge
records; the page itself is written by mlsc (html_page), not by pyvis's template, because that template
always pulls bootstrap from a CDN, does not escape the heading, and switches to an
``innerHTML`` popup as soon as any tooltip contains the text "href".

Offline: vis-network 9.1.2 (JS and CSS, as shipped inside the pyvis wheel) is inlined; the
page loads nothing: a Content-Security-Policy ``default-src 'none'`` forbids any fetch and
only the page's own inline scripts (by hash) may run, so an injected ``onerror=`` handler
could not run even if escaping failed.

Escaping: model ids, owners, licences and the rest are attacker-controlled.

* Every string written as HTML (title, headings, summary, legend, the cap note) goes
  through `html.escape`.
* Nodes, edges and options travel as JSON inside ``<script type="application/json">``
  with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no
  value can close the script element.
* Tooltips are plain text. vis-network 9.1.2 shows a string ``title`` with
  ``innerText``; older versions used ``innerHTML``. The page does not depend on that:
  before the network is built each title is replaced by a ``<div>`` whose
  ``textContent`` is the text, and vis-network appends an Element as it is.
* Labels are drawn on the canvas as text (``font.multi`` is never enabled).
"""

from __future__ import annotations

from mlsc.render.html_blast import render_blast_radius
from mlsc.render.html_graph import RELATION_COLOURS
from mlsc.render.html_lineage import render_lineage

__all__ = ["RELATION_COLOURS", "render_blast_radius", "render_lineage"]
