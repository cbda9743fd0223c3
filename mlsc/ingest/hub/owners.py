"""Who owns the crawled models: organisation (verified, members) or user, asked once each.

    >>> owner_records(client, records, report, known, first=lambda name: "org")  # doctest: +SKIP

An owner costs at most one lookup per crawl (``known`` remembers the answers, and the
journal remembers them across a resumed crawl), and often none:

- a name known to be a user (a commit's author, a member of an organisation looked up
  earlier, or a user in the knowledge base: ``first(name)`` is None) is a user without
  asking: the user overview would add nothing the graph keeps (users have no verification);
- otherwise the Hub is asked as ``first(name)`` says (``org`` or ``user``), then as the other
  when it answers 404: an organisation costs its overview and its members (none when the
  overview counts no members), a user its overview.
"""

from __future__ import annotations

from collections.abc import Callable

from mlsc.ingest.hub.client import HubClient, Skipped
from mlsc.ingest.hub.model import Records
from mlsc.ingest.hub.options import CrawlReport
from mlsc.ingest.interface import Problem
from mlsc.vocab import HUB

Owner = tuple[str, bool | None, list[str]]
"""(kind: org, user, unknown or known, verified, members)."""


def owner_records(
    client: HubClient,
    records: Records,
    report: CrawlReport,
    known: dict[str, Owner],
    first: Callable[[str], str | None],
) -> None:
    """Kind, verification and members of every owner named by the pending records."""
    if not client.options.owners:
        return
    actors = [n for n in records.nodes if n.label == "Actor" and not n.create_only]
    users = {n.key for n in actors if n.props.get("kind") == "user"}
    names = sorted({n.key for n in actors if n.props.get("kind") is None} - set(known))
    for name in names:
        ask = None if name in users or name in known else first(name)  # known: a member
        if ask is None:
            known[name] = ("user", None, [])
        else:
            try:
                known[name] = client.owner(name, first=ask)
            except Skipped as exc:
                report.add(Problem(0, name, exc.reason, f"owner {exc.detail}", "warning"))
                known[name] = ("unknown", None, [])
                continue
        kind, verified, members = known[name]
        report.actors += 1
        records.node("Actor", name, hub=HUB, kind=kind, verified=verified)
        if kind == "org":
            report.organisations += 1
            for member in members:
                records.node("Actor", member, hub=HUB, kind="user")
                records.edge("MEMBER_OF", "Actor", member, "Actor", name)
                report.memberships += 1
                known.setdefault(member, ("user", None, []))
