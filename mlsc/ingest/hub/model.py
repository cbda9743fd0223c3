"""THE mapping of a Hub model record to graph records.

    >>> model_owner("openai-community/gpt2", "bad author!"), model_owner("gpt2", "openai-community")
    ('openai-community', 'openai-community')
    >>> tags = hub_tags(["base_model:finetune:gpt2", "license:mit", "dataset:imdb"])
    >>> tags
    HubTags(has_base=True, licence='mit', datasets=['imdb'])
    >>> model_licence(None, tags), model_datasets(["squad", "imdb"], tags)
    ('mit', ['squad', 'imdb'])

The rules both Hub sources (the snapshot and the crawl) apply to a model record, decided
once (tests/ingest/hub/test_model.py pins them on real Hub answers):

- owner: the record's ``author`` when it is a valid Hub namespace, else the id's namespace
  (a legacy id such as ``gpt2`` has its owner only in ``author``); never an unchecked string,
  since it becomes an ``Actor`` key;
- licence: the card's ``license`` (a list joined with ``", "``), else the Hub's first
  ``license:`` tag: the Hub derives these tags from the card, so they agree when both are
  there, and the tag still speaks when the card is missing or unreadable;
- datasets: the card's ``datasets`` then the Hub's ``dataset:`` tags, once each, in order;
  an id that is not a valid repository id is a warning (``invalid-dataset-id``), not a node.

:func:`model_records` maps one crawled model's facts to nodes and edges; the snapshot maps
its records to Arrow columns (:mod:`.snapshot`) with the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, NamedTuple

import orjson

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.ingest.hub.fetch import ModelFacts
from mlsc.ingest.hub.lineage import declared_parents
from mlsc.ingest.hub.options import CrawlReport
from mlsc.ingest.interface import MAX_TEXT, Problem
from mlsc.vocab import HUB, file_format, github_repos_in, is_valid_repo_id, namespace_of, utc_iso

SOURCE = "hf-crawl"
MAX_SIBLINGS = 5_000
"""Files per repository beyond this many are cut, with a warning."""
MAX_DATASETS = 200
"""Datasets per crawled model beyond this many are not linked."""


class HubTags(NamedTuple):
    """What a model's Hub tags say, read in one pass."""

    has_base: bool
    """A ``base_model:`` tag is there (the model declares a base)."""
    licence: str | None
    """The first ``license:`` tag's value."""
    datasets: list[str]
    """Every ``dataset:`` tag's value, in order."""


def hub_tags(tags: Iterable[str]) -> HubTags:
    """The base, licence and datasets a model's tags name."""
    has_base = False
    licence: str | None = None
    datasets: list[str] = []
    for tag in tags:
        if ":" not in tag:  # most tags name a library, a task or a format
            continue
        if tag.startswith("base_model:"):
            has_base = True
        elif tag.startswith("license:") and licence is None:
            licence = tag[8:]
        elif tag.startswith("dataset:"):
            datasets.append(tag[8:])
    return HubTags(has_base, licence, datasets)


def model_owner(model_id: str, author: str | None) -> str | None:
    """Who owns a model: its author when that is a valid namespace, else its id's namespace."""
    if author and "/" not in author and is_valid_repo_id(author):
        return author
    return namespace_of(model_id)


def model_licence(card_licence: str | None, tags: HubTags) -> str | None:
    """The card's licence, else the Hub's ``license:`` tag."""
    return card_licence or tags.licence


def model_datasets(card_datasets: Iterable[str], tags: HubTags) -> list[str]:
    """The card's datasets, then the tags', once each (valid or not: check each)."""
    return list(dict.fromkeys([*card_datasets, *tags.datasets]))


def gated_value(gated: Any) -> str | None:
    """``no``, ``auto`` or ``manual`` from the Hub's ``gated`` field (None when unknown)."""
    return "no" if gated is False else (gated if gated in ("auto", "manual") else None)


def text_value(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:MAX_TEXT]


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class Records:
    """Nodes and edges accumulated for the next write."""

    def __init__(self, observed_at: str) -> None:
        self.nodes: list[NodeRecord] = []
        self.edges: list[EdgeRecord] = []
        self.replace: list[str] = []
        self.prov = {"source": SOURCE, "observed_at": observed_at}

    def node(self, label: str, key: str, create_only: bool = False, **props: Any) -> None:
        self.nodes.append(NodeRecord(label, key, {**props, **self.prov}, create_only))

    def edge(self, etype: str, sl: str, src: str, dl: str, dst: str, **props: Any) -> None:
        self.edges.append(EdgeRecord(etype, sl, src, dl, dst, {**props, **self.prov}))

    def batch(self) -> GraphBatch:
        return GraphBatch(
            self.nodes, self.edges, replace_outgoing={"DERIVED_FROM": list(self.replace)}
        )

    def resolve(self, aliases: dict[str, str]) -> None:
        """Point derivations from a base named by its old id at the current id: a rename
        learned after these records were made (an ancestor fetched later in the crawl). The
        old id's placeholder and its owner guessed from the old namespace are dropped."""
        self.nodes = [
            n for n in self.nodes if not (n.label == "Model" and n.create_only and n.key in aliases)
        ]
        self.edges = [
            replace(e, dst=aliases[e.dst]) if e.type == "DERIVED_FROM" and e.dst in aliases else e
            for e in self.edges
            if not (e.type == "OWNS" and e.dst in aliases)
        ]

    def __len__(self) -> int:
        return len(self.replace)


def model_records(
    facts: ModelFacts, records: Records, report: CrawlReport, aliases: dict[str, str]
) -> list[str]:
    """Write one model's facts as records; return the ids of its declared bases."""
    info, rid = facts.info, facts.id

    def problem(severity: str, reason: str, detail: str) -> None:
        report.add(Problem(0, rid, reason, detail, severity))  # type: ignore[arg-type]

    if facts.card_problem:
        problem("warning", "invalid-card", f"README.md: {facts.card_problem}")
    if facts.requested != rid:
        aliases[facts.requested] = rid
        report.aliases[facts.requested] = rid
        problem("warning", "renamed", f"{facts.requested!r} is now {rid!r}")
    siblings = list(info.siblings or [])
    if len(siblings) > MAX_SIBLINGS:
        problem("warning", "too-many-files", f"{len(siblings)} files; kept {MAX_SIBLINGS}")
        siblings = siblings[:MAX_SIBLINGS]
    file_names = [s.rfilename for s in siblings]
    card = facts.card or {}
    tags = [t for t in (info.tags or []) if isinstance(t, str)]
    # A base named by its old id resolves to the new one (the old id stays an alias).
    tags = [resolve_tag(t, aliases) for t in tags]
    card_for_lineage = dict(card)
    if "base_model" in card_for_lineage:
        card_for_lineage["base_model"] = [
            aliases.get(b, b) for b in strings(card.get("base_model"))
        ]
    declared = declared_parents(
        rid,
        card=card_for_lineage,
        tags=tags,
        files=file_names,
        config=facts.config,
        adapter_base=aliases.get(facts.adapter_base or "", facts.adapter_base),
        merge_bases=[aliases.get(b, b) for b in facts.merge_bases],
        text=facts.card_text,
        thorough=True,
    )
    for reason, detail in declared.problems:
        problem("warning", reason, detail)
    tag_facts = hub_tags(tags)
    author = model_owner(rid, info.author if isinstance(info.author, str) else None)
    card_licence = card.get("license")
    security = getattr(info, "security_repo_status", None)
    gated = info.gated
    config = facts.config
    architectures = strings(config.get("architectures"))
    records.node(
        "Model",
        rid,
        hub=HUB,
        author=author,
        sha=text_value(info.sha),
        created_at=utc_iso(info.created_at.isoformat() if info.created_at else None),
        last_modified=utc_iso(info.last_modified.isoformat() if info.last_modified else None),
        downloads=info.downloads,
        likes=info.likes,
        library=text_value(info.library_name),
        pipeline_tag=text_value(info.pipeline_tag),
        license=model_licence(
            text_value(
                ", ".join(strings(card_licence)) if isinstance(card_licence, list) else card_licence
            ),
            tag_facts,
        ),
        gated=gated_value(gated),
        private=info.private,
        model_type=text_value(config.get("model_type")),
        architectures=architectures,
        ingested=True,
        aliases=sorted(old for old, new in aliases.items() if new == rid) or None,
        security_status=text_value(orjson.dumps(security).decode()) if security else None,
        removed=False,
        code_links=[
            f"github.com/{r}"
            for r in github_repos_in(
                [orjson.dumps(card, default=str).decode(), facts.card_text or ""]
            )[:20]
        ]
        or None,
    )
    records.replace.append(rid)
    report.models += 1
    if author:
        records.node("Actor", author, hub=HUB)
        records.edge("OWNS", "Actor", author, "Model", rid)
    parents = []
    for p in declared.parents:
        records.node("Model", p.parent, create_only=True, hub=HUB, ingested=False)
        owner = p.parent.split("/", 1)[0] if "/" in p.parent else None
        if owner:
            records.node("Actor", owner, create_only=True, hub=HUB)
            records.edge("OWNS", "Actor", owner, "Model", p.parent)
        records.edge(
            "DERIVED_FROM",
            "Model",
            rid,
            "Model",
            p.parent,
            relation=p.relation,
            evidence=list(p.evidence),
            confidence=p.confidence,
        )
        report.edges[p.relation] += 1
        # each kind once per edge: "card:base_model=<old id> (renamed)" is card:base_model too
        report.evidence.update({e.split("=", 1)[0] for e in p.evidence})
        parents.append(p.parent)
    for dataset in model_datasets(strings(card.get("datasets")), tag_facts)[:MAX_DATASETS]:
        if not is_valid_repo_id(dataset):
            problem("warning", "invalid-dataset-id", f"dataset {dataset[:120]!r}")
        else:
            records.node("Dataset", dataset, hub=HUB)
            records.edge("TRAINED_ON", "Model", rid, "Dataset", dataset)
            report.datasets += 1
    for s in siblings:
        fmt, pickle = file_format(s.rfilename)
        lfs = s.lfs
        key = f"{rid}/{s.rfilename}"
        records.node(
            "File",
            key,
            repo=rid,
            path=text_value(s.rfilename),
            size=s.size,
            sha256=lfs.sha256 if lfs is not None else None,
            format=fmt,
            pickle=pickle,
        )
        records.edge("HAS_FILE", "Model", rid, "File", key)
        report.files += 1
        report.pickle_files += pickle
    for c in facts.commits:
        sha = str(c.commit_id)
        records.node(
            "Commit",
            sha,
            repo=rid,
            sha=sha,
            title=text_value(c.title),
            authored_at=utc_iso(c.created_at.isoformat() if c.created_at else None),
        )
        records.edge("HAS_COMMIT", "Model", rid, "Commit", sha)
        for user in c.authors or []:
            if isinstance(user, str) and user and len(user) <= 96:
                records.node("Actor", user, hub=HUB, kind="user")
                records.edge("AUTHORED", "Actor", user, "Commit", sha, role="author")
        report.commits += 1
    return parents


def resolve_tag(tag: str, aliases: dict[str, str]) -> str:
    if not tag.startswith("base_model:") or not aliases:
        return tag
    head, _, base = tag.rpartition(":")
    return f"{head}:{aliases.get(base, base)}"
