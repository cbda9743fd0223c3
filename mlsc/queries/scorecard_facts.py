"""The facts behind each scorecard cell, read from the knowledge base.

:func:`model_cells` gathers one model's facts and scores each one: 1 good, 0 bad, a share in
between, ``None`` unknown. How cells and the overall score are formed from them is
:mod:`mlsc.queries.scorecard`'s job; docs/scoring.md explains both with a worked example.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mlsc.graph import reads
from mlsc.graph.store import GraphStore
from mlsc.queries.results import JsonFields
from mlsc.queries.scans import hub_file_verdicts

PRINCIPLES = ("transparency", "validity", "separation")
SUBJECTS = ("artifacts", "operations", "actors")


@dataclass(frozen=True)
class Fact(JsonFields):
    """One fact of a cell and its score."""

    name: str
    value: Any
    score: float | None
    """1 good, 0 bad, a share in between; None: unknown."""
    weight: float = 1.0
    """Its weight in the cell's mean."""
    veto: bool = False
    """A veto fact that scores 0 sets its whole cell to 0 (a critical scan verdict)."""


def _yes(value: bool | None) -> float | None:
    return None if value is None else float(value)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _scan_fact(files: Sequence[reads.ModelFile]) -> Fact:
    """mlsc's scan verdicts on the model's files: critical vetoes the cell, a warning or an
    unparseable file lowers it, unknown when no file was scanned."""
    flagged, scanned, worst = [], 0, 1.0
    for file in files:
        path, status, imports, findings = (
            file.path,
            file.scan_status,
            file.scan_imports,
            file.scan_findings,
        )
        if status is None or status == "skipped":
            continue
        scanned += 1
        if status == "critical":
            worst = 0.0
        elif status in ("warning", "unparseable"):
            worst = min(worst, 0.5)
        else:
            continue
        callables = list(imports or [])[:10]
        reason = findings[0] if findings else None
        flagged.append({"file": path, "verdict": status, "callables": callables,
                        "finding": reason})  # fmt: skip
    flagged.sort(key=lambda f: (f["verdict"] != "critical", f["file"]))
    if not scanned:
        return Fact("files mlsc's scan flags", None, None, veto=True)
    return Fact("files mlsc's scan flags", flagged[:10], worst, veto=True)


def _hub_fact(security_status: str | None) -> Fact:
    """The hub's own scanner verdicts (a peer's: never read as safer than it said)."""
    verdicts = hub_file_verdicts(security_status)
    try:
        done = bool(orjson.loads(security_status).get("scansDone")) if security_status else None
    except (orjson.JSONDecodeError, AttributeError):
        done = None
    flagged = sorted((p, v) for p, v in verdicts.items() if v != "info")
    if any(v == "critical" for _, v in flagged):
        score: float | None = 0.0
    elif flagged:
        score = 0.5
    else:
        score = 1.0 if done else None
    value = [{"file": p, "verdict": v} for p, v in flagged[:10]] if score is not None else None
    return Fact("files the hub's scanner flags", value, score, veto=True)


@dataclass(frozen=True)
class ModelFacts:
    """What the knowledge base holds about one model, as the scorecard reads it."""

    node: Mapping[str, Any]
    """The model's properties (empty when unknown)."""
    files: tuple[reads.ModelFile, ...]
    """By path."""
    parents: int
    datasets: int
    commits: tuple[reads.ModelCommit, ...]
    authors: tuple[reads.CommitAuthor, ...]
    code: tuple[reads.CodeLink, ...]
    actor: Mapping[str, Any] | None
    """The owner's properties, when the owner is a known actor."""
    members: int
    """Accounts that are members of the owner."""
    breadth: int
    """Models the owner owns."""


def gather(store: GraphStore, models: Sequence[str]) -> dict[str, ModelFacts]:
    """The facts of every model in ``models``, in a handful of reads whatever their number."""
    wanted = sorted(set(models))
    found = reads.nodes(store, "Model", wanted)
    by: dict[str, dict[str, list[Any]]] = {m: defaultdict(list) for m in wanted}
    for f in reads.model_files(store, wanted):
        by[f.model]["files"].append(f)
    for p in reads.parents_of(store, wanted):
        by[p.model]["parents"].append(p)
    for d in reads.datasets_of(store, wanted):
        by[d.model]["datasets"].append(d)
    for c in reads.commits_of(store, wanted):
        by[c.model]["commits"].append(c)
    for a in reads.commit_authors_of(store, wanted):
        by[a.model]["authors"].append(a)
    for r in reads.code_of(store, wanted):
        by[r.model]["code"].append(r)
    owners = sorted({o for n in found.values() if (o := n.get("author"))})
    actors = reads.nodes(store, "Actor", owners)
    members: Counter[str] = Counter(m.organisation for m in reads.members_of(store, owners))
    breadth = reads.owned_counts(store, owners)
    out = {}
    for mid in wanted:
        node = found.get(mid, {})
        owner = node.get("author")
        facts = by[mid]
        out[mid] = ModelFacts(
            node=node,
            files=tuple(facts["files"]),
            parents=len(facts["parents"]),
            datasets=len(facts["datasets"]),
            commits=tuple(facts["commits"]),
            authors=tuple(facts["authors"]),
            code=tuple(facts["code"]),
            actor=actors.get(owner) if owner else None,
            members=members.get(owner, 0) if owner else 0,
            breadth=breadth.get(owner, 0) if owner else 0,
        )
    return out


def model_cells(
    facts: ModelFacts, findings: int, worst: str | None
) -> dict[tuple[str, str], tuple[Fact, ...]]:
    """Every cell's facts for one model, keyed by (principle, subject); ``findings`` and
    ``worst`` are its discrepancy count and most severe finding."""
    node, files, commits, code = facts.node, facts.files, facts.commits, facts.code
    pickled = [f.path for f in files if f.pickle or f.scan_pickle]
    weights = [f for f in files if f.format not in (None, "bin") or f.pickle or f.scan_pickle]
    parents, datasets = facts.parents, facts.datasets
    authors = [(a.author, a.sha, a.signature) for a in facts.authors]
    owner = node.get("author")
    actor = facts.actor
    breadth = facts.breadth
    known_status = [
        c for c in commits if c.signature is not None or c.verification_reason is not None
    ]
    # A card is a hub fact: a local scan's listing (source "scan") never says it is missing.
    listed = [f for f in files if f.source != "scan"]
    card: bool | None = True if any(f.path == "README.md" for f in files) else None
    if card is None and listed:
        card = False
    if card is None and node.get("ingested"):
        card = bool(node.get("license") or node.get("pipeline_tag")) or None
    reviews = None
    for _, _, protected, protection in code:
        rules = orjson.loads(protection) if protection else {}
        required = rules.get("required_reviews") or 0
        score = 1.0 if protected and required else 0.5 if protected else 0.0
        reviews = score if reviews is None else max(reviews, score)
    signature = node.get("signature_status")
    writers = facts.members if facts.members else (1 if owner else 0)
    kind = actor.get("kind") if actor else None
    verified = actor.get("verified") if actor else None
    signers = {a for a, _, sig in authors if sig is not None}
    names = {a for a, _, _ in authors}
    hashed = sum(1 for f in weights if f.sha256)
    py = [f.path for f in files if f.path.endswith(".py")]
    return {
        ("transparency", "artifacts"): (
            Fact("card present", card, _yes(card)),
            Fact("lineage declared", parents, 1.0 if parents else None),
            Fact("datasets named", datasets,
                 1.0 if datasets else 0.0 if node.get("ingested") else None),
            Fact("weight hashes known", f"{hashed}/{len(weights)}", _share(hashed, len(weights))),
        ),
        ("validity", "artifacts"): (
            _scan_fact(files),
            _hub_fact(node.get("security_status")),
            Fact("no pickle-based weights", pickled[:10],
                 None if not files else float(not pickled)),
            Fact("discrepancy findings", findings,
                 0.0 if worst == "high" else 0.5 if findings
                 else 1.0 if node.get("ingested") else None),
            Fact("signature", signature,
                 None if signature is None else float(signature == "verified")),
        ),
        ("separation", "artifacts"): (
            Fact("code in the repository", py[:10], None if not files else float(not py)),
        ),
        ("transparency", "operations"): (
            Fact("commit history known", len(commits), 1.0 if commits else None),
            Fact("commits titled", f"{sum(1 for c in commits if c.title)}/{len(commits)}",
                 _share(sum(1 for c in commits if c.title), len(commits))),
        ),
        ("validity", "operations"): (
            Fact("commits signed and verified",
                 f"{sum(1 for c in known_status if c.verified is True)}/{len(known_status)}",
                 _share(sum(1 for c in known_status if c.verified is True), len(known_status))),
            Fact("history rewritten", sum(1 for c in commits if c.rewritten),
                 None if not commits else float(not any(c.rewritten for c in commits))),
        ),
        ("separation", "operations"): (
            Fact("linked code requires reviews", [c.repository for c in code], reviews),
            Fact("distinct committers", len(names), None if not names else float(len(names) > 1)),
        ),
        ("transparency", "actors"): (
            Fact("owner kind known", kind, None if not owner or kind is None else 1.0),
            Fact("commit authors identifiable",
                 f"{len({c for _, c, _ in authors})}/{len(commits)}",
                 _share(len({c for _, c, _ in authors}), len(commits))),
        ),
        ("validity", "actors"): (
            Fact("owner verified organisation", verified,
                 None if kind != "org" or verified is None else float(verified)),
            Fact("committers who sign", f"{len(signers)}/{len(names)}",
                 _share(len(signers), len(names))),
        ),
        ("separation", "actors"): (
            Fact("accounts that can write", writers,
                 None if not writers else 1.0 if writers <= 3 else 0.5 if writers <= 10 else 0.0),
            Fact("models the owner controls", breadth,
                 None if not breadth else 1.0 if breadth <= 10 else 0.5 if breadth <= 100 else 0.0),
        ),
    }  # fmt: skip
