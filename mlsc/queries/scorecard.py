"""The three-principle scorecard of a model: Transparency, Validity and Separation, each over
its Artifacts, Operations and Actors, with the facts behind every score, and the weakest link
upstream.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                 # doctest: +SKIP
    ...     card = scorecard(store, "quantlab/Evo-8B-g12-GGUF")
    ...     print(card.overall, card.weakest_upstream)

A cell's score is the mean of its known facts (a yes is 1, a no 0, a share its value), from 0
(worst) to 1; a cell with no known fact has no score, and says so, rather than passing or
failing on missing data. The overall score is the mean of the cells that have one.

| cell | facts |
|---|---|
| artifact transparency | card present; lineage declared; datasets named; weight hashes known |
| artifact validity | no pickle-based weights; no discrepancy findings; signature verified |
| artifact separation | no code in the repository (no trust_remote_code) |
| operation transparency | commit history known; commits titled |
| operation validity | commits signed and verified; history never rewritten |
| operation separation | linked code requires reviews; more than one committer |
| actor transparency | owner kind known; commit authors identifiable |
| actor validity | owner a verified organisation; committers who sign |
| actor separation | few accounts can write; the owner's reach is narrow |
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mlsc.graph.store import GraphStore
from mlsc.queries.core import lineage, require_node
from mlsc.queries.discrepancies import discrepancies

PRINCIPLES = ("transparency", "validity", "separation")
SUBJECTS = ("artifacts", "operations", "actors")


@dataclass(frozen=True)
class Fact:
    name: str
    value: Any
    score: float | None
    """1 good, 0 bad, a share in between; None: unknown."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "score": self.score}


@dataclass(frozen=True)
class Cell:
    principle: str
    subject: str
    facts: tuple[Fact, ...]

    @property
    def score(self) -> float | None:
        known = [f.score for f in self.facts if f.score is not None]
        return round(statistics.fmean(known), 3) if known else None

    def to_json(self) -> dict[str, Any]:
        return {
            "principle": self.principle,
            "subject": self.subject,
            "score": self.score,
            "facts": [f.to_json() for f in self.facts],
        }


@dataclass(frozen=True)
class Weakest:
    model: str
    depth: int
    overall: float | None
    pulled_down_by: tuple[Cell, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "depth": self.depth,
            "overall": self.overall,
            "pulled_down_by": [
                {
                    "principle": c.principle,
                    "subject": c.subject,
                    "score": c.score,
                    "failing": [
                        f.to_json() for f in c.facts if f.score is not None and f.score < 0.5
                    ],
                }
                for c in self.pulled_down_by
            ],
        }


@dataclass(frozen=True)
class Scorecard:
    model: str
    cells: tuple[Cell, ...]
    weakest_upstream: Weakest | None
    ancestors_scored: int

    @property
    def overall(self) -> float | None:
        return _overall(self.cells)

    def cell(self, principle: str, subject: str) -> Cell:
        return next(c for c in self.cells if (c.principle, c.subject) == (principle, subject))

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "overall": self.overall,
            "cells": [c.to_json() for c in self.cells],
            "weakest_upstream": self.weakest_upstream.to_json() if self.weakest_upstream else None,
            "ancestors_scored": self.ancestors_scored,
        }


def _overall(cells: Sequence[Cell]) -> float | None:
    known = [c.score for c in cells if c.score is not None]
    return round(statistics.fmean(known), 3) if known else None


def _yes(value: bool | None) -> float | None:
    return None if value is None else float(value)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _one(store: GraphStore, query: str, **params: Any) -> list[tuple[Any, ...]]:
    return list(store.cypher(query, params).rows)


def _cells(store: GraphStore, model: str, findings: int, worst: str | None) -> tuple[Cell, ...]:
    node = store.node("Model", model) or {}
    files = _one(
        store,
        "MATCH (:Model {id: $m})-[:HAS_FILE]->(f:File) RETURN f.path, f.format, f.pickle, f.sha256",
        m=model,
    )
    weights = [f for f in files if f[1] not in (None, "bin") or f[2]]
    parents = _one(
        store, "MATCH (:Model {id: $m})-[r:DERIVED_FROM]->(p:Model) RETURN p.id", m=model
    )
    datasets = _one(
        store, "MATCH (:Model {id: $m})-[:TRAINED_ON]->(d:Dataset) RETURN d.id", m=model
    )
    commits = _one(
        store,
        "MATCH (:Model {id: $m})-[:HAS_COMMIT]->(c:Commit) RETURN c.id, c.title, c.signature, "
        "c.verified, c.verification_reason, c.rewritten",
        m=model,
    )
    authors = _one(
        store,
        "MATCH (:Model {id: $m})-[:HAS_COMMIT]->(c:Commit)<-[:AUTHORED]-(a:Actor) "
        "RETURN DISTINCT a.name, c.id, c.signature",
        m=model,
    )
    code = _one(
        store,
        "MATCH (:Model {id: $m})-[:CODE_AT]->(r:CodeRepository) RETURN r.id, r.protected, "
        "r.protection",
        m=model,
    )
    owner = node.get("author")
    actor = store.node("Actor", owner) if owner else None
    members = _one(
        store, "MATCH (u:Actor)-[:MEMBER_OF]->(:Actor {name: $o}) RETURN u.name", o=owner or ""
    )
    breadth = len(store.owned_models([owner])) if owner else 0
    known_status = [c for c in commits if c[2] is not None or c[4] is not None]
    card = any(f[0] == "README.md" for f in files) if files else None
    if card is None and node.get("ingested"):
        card = bool(node.get("license") or node.get("pipeline_tag")) or None
    reviews = None
    for _, protected, protection in code:
        rules = orjson.loads(protection) if protection else {}
        required = rules.get("required_reviews") or 0
        score = 1.0 if protected and required else 0.5 if protected else 0.0
        reviews = score if reviews is None else max(reviews, score)
    signature = node.get("signature_status")
    writers = len(members) if members else (1 if owner else 0)
    kind = actor.get("kind") if actor else None
    verified = actor.get("verified") if actor else None
    signers = {a for a, _, sig in authors if sig is not None}
    names = {a for a, _, _ in authors}
    cells = [
        Cell("transparency", "artifacts", (
            Fact("card present", card, _yes(card)),
            Fact("lineage declared", len(parents), 1.0 if parents else None),
            Fact("datasets named", len(datasets), 1.0 if datasets else 0.0 if node.get("ingested") else None),
            Fact("weight hashes known", f"{sum(1 for f in weights if f[3])}/{len(weights)}",
                 _share(sum(1 for f in weights if f[3]), len(weights))),
        )),
        Cell("validity", "artifacts", (
            Fact("no pickle-based weights", [f[0] for f in files if f[2]][:10],
                 None if not files else float(not any(f[2] for f in files))),
            Fact("discrepancy findings", findings,
                 1.0 if not findings else 0.0 if worst == "high" else 0.5),
            Fact("signature", signature,
                 None if signature is None else float(signature == "verified")),
        )),
        Cell("separation", "artifacts", (
            Fact("code in the repository", [f[0] for f in files if f[0].endswith(".py")][:10],
                 None if not files else float(not any(f[0].endswith(".py") for f in files))),
        )),
        Cell("transparency", "operations", (
            Fact("commit history known", len(commits), 1.0 if commits else None),
            Fact("commits titled", f"{sum(1 for c in commits if c[1])}/{len(commits)}",
                 _share(sum(1 for c in commits if c[1]), len(commits))),
        )),
        Cell("validity", "operations", (
            Fact("commits signed and verified",
                 f"{sum(1 for c in known_status if c[3] is True)}/{len(known_status)}",
                 _share(sum(1 for c in known_status if c[3] is True), len(known_status))),
            Fact("history rewritten", sum(1 for c in commits if c[5]),
                 None if not commits else float(not any(c[5] for c in commits))),
        )),
        Cell("separation", "operations", (
            Fact("linked code requires reviews", [c[0] for c in code], reviews),
            Fact("distinct committers", len(names), None if not names else float(len(names) > 1)),
        )),
        Cell("transparency", "actors", (
            Fact("owner kind known", kind, None if not owner or kind is None else 1.0),
            Fact("commit authors identifiable",
                 f"{len({c for _, c, _ in authors})}/{len(commits)}",
                 _share(len({c for _, c, _ in authors}), len(commits))),
        )),
        Cell("validity", "actors", (
            Fact("owner verified organisation", verified,
                 None if kind != "org" or verified is None else float(verified)),
            Fact("committers who sign", f"{len(signers)}/{len(names)}",
                 _share(len(signers), len(names))),
        )),
        Cell("separation", "actors", (
            Fact("accounts that can write", writers,
                 None if not writers else 1.0 if writers <= 3 else 0.5 if writers <= 10 else 0.0),
            Fact("models the owner controls", breadth,
                 None if not breadth else 1.0 if breadth <= 10 else 0.5 if breadth <= 100 else 0.0),
        )),
    ]  # fmt: skip
    return tuple(cells)


def scorecard(store: GraphStore, model: str) -> Scorecard:
    """Score ``model`` and every ancestor; name the weakest ancestor and why."""
    require_node(store, "Model", model)
    ancestors = list(lineage(store, model).ancestors)
    found = discrepancies(store, models=[model, *(a.id for a in ancestors)])
    by_model: dict[str, list[str]] = {}
    for f in found.findings:
        by_model.setdefault(f.model, []).append(f.severity)

    def cells_of(mid: str) -> tuple[Cell, ...]:
        sev = by_model.get(mid, [])
        worst = "high" if "high" in sev else "medium" if "medium" in sev else "low" if sev else None
        return _cells(store, mid, len(sev), worst)

    own = cells_of(model)
    weakest: Weakest | None = None
    for a in ancestors:
        cells = cells_of(a.id)
        overall = _overall(cells)
        if overall is None:
            continue
        if weakest is None or weakest.overall is None or overall < weakest.overall:
            low = tuple(
                sorted(
                    (c for c in cells if c.score is not None and c.score < 0.5),
                    key=lambda c: (c.score or 0.0, c.principle, c.subject),
                )
            )
            weakest = Weakest(a.id, a.depth, overall, low)
    return Scorecard(model, own, weakest, len(ancestors))
