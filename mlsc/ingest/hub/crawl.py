"""Crawl the Hugging Face Hub with the real ``huggingface_hub`` client into the knowledge base.

    >>> from mlsc.graph import open_store
    >>> from mlsc.ingest.hub.crawl import CrawlOptions, crawl_hub
    >>> with open_store() as store:                                        # doctest: +SKIP
    ...     report = crawl_hub(store, CrawlOptions(models=("meta-llama/Llama-3.1-8B",),
    ...                                            descendants=True, depth=1))

What one model costs (requests): its ``model_info`` (card data, tags, config, files with
sizes, git blob ids and LFS sha256, the Hub's security status: a listing carries neither the
sizes and hashes nor the security status, so every fetched model is asked for), then, when
the repository has them, its README.md (card text and front matter, checked here),
adapter_config.json and mergekit_config.yml, unless the blob cache (``options.blobs``, see
:mod:`.blobs`) holds the same bytes, and its commit list, unless the knowledge base holds the
history of the same head. Owners are looked up once per crawl (organisation overview, and its
members when it counts any, or user overview; a commit author or organisation member is known
to be a user without asking, see :mod:`.owners`). Descendants come from one listing per parent
by the bare ``base_model:<id>`` tag (the Hub puts it on every child, whatever the relation),
and only for models the listing that found them counts children of (``childrenModelCount``)
or the knowledge base holds children of; ancestors come from declared bases.

The crawl is polite and robust: bounded concurrency (``workers``), a shared request rate,
retries with backoff that honour ``Retry-After`` on 429 and 5xx, timeouts. Gated, private,
disabled and missing repositories are recorded and skipped with a reason; a model that was in
the knowledge base and is now gone is marked ``removed``, never deleted. Models are written
in batches, and a journal beside the knowledge base records what is done, so an interrupted
crawl resumes where it stopped; writes are idempotent, so a re-run adds nothing twice.
``since`` re-crawls only what the Hub says changed. Tokens come from ``HF_TOKEN`` or the
user's login (huggingface_hub's own lookup) and are never printed or logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlsc.errors import InputError
from mlsc.graph.reads_ingest import ingested_children, ingested_count, known_aliases
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.client import HubClient, Skipped
from mlsc.ingest.hub.fetch import fetch_model
from mlsc.ingest.hub.journal import Journal, journal_path, with_journal
from mlsc.ingest.hub.model import SOURCE, Records, model_records
from mlsc.ingest.hub.options import CrawlOptions, CrawlReport
from mlsc.ingest.hub.owners import owner_records
from mlsc.ingest.interface import Problem, Progress
from mlsc.vocab import is_valid_repo_id, utc_iso, utc_now

__all__ = ["crawl_hub", "journal_path", "with_journal"]

# -- the crawl ----------------------------------------------------------------------------------

_Item = tuple[str, int, str, bool]
"""(model id, hops from a seed, direction: seed/up/down, fetch it or only list its children)."""


class _Crawl:
    """One run of a crawl plan: a work queue walked level by level with a thread pool."""

    def __init__(
        self,
        store: GraphStore,
        options: CrawlOptions,
        client: HubClient,
        report: CrawlReport,
        journal: Journal,
        observed_at: str,
        since: str | None,
    ) -> None:
        self.store, self.options, self.client, self.report = store, options, client, report
        self.journal, self.observed_at, self.since = journal, observed_at, since
        self.records = Records(observed_at)
        self.aliases: dict[str, str] = _known_aliases(store)
        self.owners: dict[str, tuple[str, bool | None, list[str]]] = {
            name: ("known", None, []) for name in journal.owners
        }
        self.parents: set[str] = set()
        self.queue: list[_Item] = list(journal.pending)
        self.seen: set[str] = set(journal.done) | {q[0] for q in self.queue}
        self.fetched = 0
        self.counts: dict[str, int | None] = {}
        """Model id -> childrenModelCount, from the listing that found it."""
        self.found: set[str] = set()
        """Models the Hub served in this crawl (fetched, or named by a listing)."""
        self.unlisted: set[str] = set(journal.unlisted)
        """Known children a listing of their base no longer names: gone, or rebased?"""

    def problem(self, record: str | None, severity: str, reason: str, detail: str) -> None:
        self.report.add(Problem(0, record, reason, detail, severity))  # type: ignore[arg-type]

    def enqueue(self, mid: str, depth: int, direction: str, fetch: bool = True) -> None:
        mid = self.aliases.get(mid, mid)
        if mid not in self.seen:
            self.seen.add(mid)
            self.queue.append((mid, depth, direction, fetch))

    def within(self, depth: int) -> bool:
        return self.options.depth is None or depth < self.options.depth

    def changed(self, listed: Any) -> bool:
        """Whether a listed model needs fetching: modified since ``since``, or not stored."""
        if self.since is None or listed.last_modified is None:
            return True
        modified = utc_iso(listed.last_modified.isoformat())
        if modified is None or modified >= self.since:
            return True
        node = self.store.node("Model", str(listed.id))
        return node is None or not node.get("ingested") or bool(node.get("removed"))

    # -- seeds ---------------------------------------------------------------------------

    def seed(self) -> None:
        for mid in self.options.models:
            self.enqueue(mid, 0, "seed")
        for author in self.options.authors:
            try:
                listed = self.client.listing(f"models of {author}", author=author)
            except Skipped as exc:
                self.problem(author, "skipped", exc.reason, exc.detail)
                continue
            ids = {str(m.id) for m in listed}
            self.found.update(ids)
            for mid in self.store.owned_models([author]):
                if mid not in ids:
                    self.confirm_removed(mid)
            for m in listed:
                self.counts[str(m.id)] = m.children_model_count
                if self.changed(m):
                    self.enqueue(str(m.id), 0, "seed")
                else:
                    self.report.unchanged += 1
        if self.options.search:
            try:
                found = self.client.listing(
                    f"search {self.options.search!r}", search=self.options.search
                )
            except Skipped as exc:
                self.problem(self.options.search, "skipped", exc.reason, exc.detail)
                found = []
            for m in found:
                self.counts[str(m.id)] = m.children_model_count
                if self.changed(m):
                    self.enqueue(str(m.id), 0, "seed")
                else:
                    self.report.unchanged += 1

    # -- removed models ------------------------------------------------------------------

    def mark_removed(self, mid: str) -> None:
        """A model the knowledge base holds that the Hub no longer serves: mark it."""
        node = self.store.node("Model", mid)
        if node is not None and node.get("ingested") and not node.get("removed"):
            self.records.node("Model", mid, removed=True, removed_at=self.observed_at)
            self.report.removed.append(mid)

    def confirm_removed(self, mid: str) -> None:
        """A stored model that dropped out of a listing: removed if the Hub says it is gone
        (it may only have changed its base, or gone private)."""
        node = self.store.node("Model", mid)
        if node is None or not node.get("ingested") or node.get("removed"):
            return
        try:
            self.client.call(mid, lambda: self.client.api.model_info(mid, expand=["sha"]))
        except Skipped as exc:
            if exc.reason == "missing":
                self.mark_removed(mid)

    def children(self, mid: str) -> list[Any]:
        """Every model whose tags name ``mid`` as its base: one ``base_model:<id>`` listing.
        The Hub tags each child ``base_model:<id>`` beside ``base_model:<relation>:<id>``,
        whatever the relation, and the relation is read from the child's own tags when it
        is fetched, so the four relation listings would only list the same models again."""
        return self.client.listing(f"children of {mid}", filter=f"base_model:{mid}")

    def may_have_children(self, mid: str) -> bool:
        """False when the listing that found ``mid`` counted no children and the knowledge
        base holds none either (a child it holds must be listed, to notice it is gone)."""
        return self.counts.get(mid) != 0 or bool(self.known_children(mid))

    def known_children(self, mid: str) -> list[str]:
        return ingested_children(self.store, mid, SOURCE)

    # -- the walk --------------------------------------------------------------------------

    def run(self, pool: ThreadPoolExecutor, progress: Progress | None) -> None:
        width = max(self.options.workers * 8, 8)
        while self.queue:
            room = None if self.options.limit is None else self.options.limit - self.fetched
            if room is not None and room <= 0:
                self.problem(
                    None,
                    "warning",
                    "limit",
                    f"stopped at --limit {self.options.limit}; {len(self.queue)} queued left",
                )
                self.queue.clear()
                break
            level: list[_Item] = []
            while self.queue and len(level) < width:
                item = self.queue.pop(0)
                if item[3] and room is not None and sum(i[3] for i in level) >= room:
                    self.queue.insert(0, item)
                    break
                level.append(item)
            fetches = [
                (
                    item,
                    pool.submit(
                        fetch_model,
                        self.client,
                        item[0],
                        self.options.commits,
                        self.held_head(item[0]),
                    ),
                )
                for item in level
                if item[3]
            ]
            listings: list[tuple[_Item, Any]] = [
                (item, pool.submit(self.children, item[0]))
                for item in level
                if not item[3] and self.may_have_children(item[0])
            ]
            for item, future in fetches:
                mid, depth, direction, _ = item
                try:
                    facts = future.result()
                except Skipped as exc:
                    self.problem(mid, "skipped", exc.reason, exc.detail)
                    if exc.reason == "missing":
                        self.mark_removed(mid)
                    self.journal.done.add(mid)
                    continue
                self.fetched += 1
                self.seen.add(facts.id)
                self.found.update((facts.id, facts.requested))
                parents = model_records(facts, self.records, self.report, self.aliases)
                self.parents.update(parents)
                for reason, detail in facts.problems:
                    self.problem(facts.id, "warning", reason, detail)
                if self.options.ancestors and direction in ("seed", "up") and self.within(depth):
                    for p in parents:
                        self.enqueue(p, depth + 1, "up")
                if (
                    self.options.descendants
                    and direction in ("seed", "down")
                    and self.within(depth)
                    and self.may_have_children(facts.id)
                ):
                    listings.append(
                        (
                            (facts.id, depth, direction, False),
                            pool.submit(self.children, facts.id),
                        )
                    )
                if progress:
                    progress(self.fetched, self.fetched + len(self.queue))
            for (mid, depth, _, _), future in listings:
                try:
                    kids = future.result()
                except Skipped as exc:
                    self.problem(mid, "warning", exc.reason, f"children not listed: {exc.detail}")
                    continue
                listed = {str(k.id) for k in kids}
                for known in self.known_children(mid):
                    if known not in listed:
                        self.unlisted.add(known)
                self.found.update(listed)
                for kid in kids:
                    # recorded here, by the walk, not by the listing's thread: which models
                    # are listed for children must not depend on which listing finished first
                    self.counts[str(kid.id)] = kid.children_model_count
                    fetch = self.changed(kid)
                    if not fetch:
                        self.report.unchanged += 1
                    if fetch or self.within(depth + 1):
                        self.enqueue(str(kid.id), depth + 1, "down", fetch)
            if len(self.records) >= self.options.batch or not self.queue:
                self.flush()
        # a known child its base's listing no longer names may only have changed its base:
        # asked about at the end, and only when no listing named it and no fetch found it
        for mid in sorted(self.unlisted - self.found):
            self.confirm_removed(mid)
        self.unlisted.clear()
        self.flush()

    def held_head(self, mid: str) -> str | None:
        """The stored head commit of ``mid`` when the knowledge base holds it as the model's
        (so its history, read with it): the commits need not be listed again while the
        Hub's head is the same."""
        if not self.options.commits:
            return None
        node = self.store.node("Model", mid)
        sha = node.get("sha") if node is not None and node.get("ingested") else None
        if not sha:
            return None
        held = self.store.commit_repositories(str(sha))
        return str(sha) if any(c.label == "Model" and c.repository == mid for c in held) else None

    def ask_first(self, name: str) -> str | None:
        """Whether to ask the Hub about an owner as an organisation or as a user first, or
        (None) not at all: a user the knowledge base knows needs no asking, an organisation
        it knows is asked as one (its verification and members may have changed); else,
        when commits are read, an owner that authored none of its models' commits is most
        likely an organisation; else a user (most owners on the Hub are)."""
        node = self.store.node("Actor", name)
        kind = node.get("kind") if node else None
        if kind == "user":
            return None
        if kind == "org":
            return "org"
        return "org" if self.options.commits else "user"

    def flush(self) -> None:
        """Write what is pending, then remember it in the journal."""
        if self.records.nodes or self.records.edges:
            self.records.resolve(self.aliases)
            owner_records(self.client, self.records, self.report, self.owners, self.ask_first)
            self.store.write(self.records.batch())
            self.journal.done.update(self.records.replace)
            self.journal.owners.update(self.owners)
            self.records = Records(self.observed_at)
        self.journal.pending = list(self.queue)
        self.journal.unlisted = set(self.unlisted)
        self.journal.save()


def crawl_hub(
    store: GraphStore,
    options: CrawlOptions,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CrawlReport:
    """Crawl what ``options`` asks for into ``store``; return the counts."""
    if not (options.models or options.authors or options.search):
        raise InputError(
            "nothing to crawl", hint="Give --model ID, --author NAME or --search TEXT."
        )
    for mid in options.models:
        if not is_valid_repo_id(mid):
            raise InputError(
                f"{mid[:120]!r} is not a Hugging Face model id", hint="e.g. meta-llama/Llama-3.1-8B"
            )
    started = time.perf_counter()
    observed_at = options.observed_at or utc_now()
    journal = Journal.load(options.journal)
    since = journal.last_complete if options.since == "last" else options.since
    since_iso = utc_iso(since) if since else None
    if since and since_iso is None:
        raise InputError(f"--since {since[:40]!r} is not a date", hint="e.g. 2026-11-01 or last")
    report = CrawlReport(endpoint="", since=since_iso)
    client = HubClient(options, report, sleep)
    report.endpoint = client.endpoint
    resumed = bool(journal.pending)
    report.resumed = len(journal.done) if resumed else 0
    if not resumed:
        journal.done.clear()
        journal.owners.clear()
        journal.started = observed_at
    crawl = _Crawl(store, options, client, report, journal, observed_at, since_iso)
    if not resumed:
        crawl.seed()
    with ThreadPoolExecutor(max(options.workers, 1), thread_name_prefix="mlsc-hf") as pool:
        crawl.run(pool, progress)
    report.placeholders = _placeholders(store, {crawl.aliases.get(p, p) for p in crawl.parents})
    report.seconds = time.perf_counter() - started
    journal.last_complete = journal.started or observed_at
    journal.save(complete=True)
    return report


def _known_aliases(store: GraphStore) -> dict[str, str]:
    """Old id -> current id of every renamed model the knowledge base knows."""
    return known_aliases(store)


def _placeholders(store: GraphStore, parents: set[str]) -> int:
    """How many of the bases named in this crawl the knowledge base knows by name only."""
    return len(parents) - ingested_count(store, list(parents))
