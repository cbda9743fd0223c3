"""Reads over the whole population (every model, commit, file, application use): counted by
the store, or returned as Arrow columns, never as a Python tuple per model.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     print(gating(store, scope=Scope()))

Like :mod:`mlsc.graph.reads`: one query per function, values as parameters. The population
of the practice figures is every ingested model of the Hugging Face hub (``hub`` unset or
``huggingface``), or only those an ``author`` owns: :class:`Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa

from mlsc.graph.reads_ingest import RepositoryLabel
from mlsc.graph.store import Column, GraphStore


@dataclass(frozen=True)
class Scope:
    """Which models the practice figures count."""

    author: str | None = None
    """Only the models this owner's ``author`` names; None: every owner."""

    def where(self, var: str = "m") -> str:
        """The Cypher condition on model ``var`` (``$author`` a parameter)."""
        cond = f"{var}.ingested = true AND ({var}.hub IS NULL OR {var}.hub = 'huggingface')"
        return cond + (f" AND {var}.author = $author" if self.author is not None else "")

    def params(self) -> dict[str, str]:
        return {} if self.author is None else {"author": self.author}


def _counts(store: GraphStore, query: str, params: dict[str, str], n: int) -> tuple[int, ...]:
    """The one row of an aggregate query, nulls (a sum over nothing) as 0."""
    rows = store.read(query, params)
    return tuple(int(v or 0) for v in rows[0]) if rows else (0,) * n


class Gating(NamedTuple):
    models: int
    known: int
    """Models whose ``gated`` value is known."""
    gated: int
    """Of those, gated automatically or manually."""


def gating(store: GraphStore, scope: Scope) -> Gating:
    """How many models are in ``scope``, and how many of them are gated."""
    return Gating(
        *_counts(
            store,
            f"MATCH (m:Model) WHERE {scope.where()} RETURN count(*), count(m.gated), "
            "sum(CASE WHEN m.gated IN ['auto', 'manual'] THEN 1 ELSE 0 END)",
            scope.params(),
            3,
        )
    )


class OrgVerification(NamedTuple):
    known: int
    """Organisations (of the Hub: not ``github:``/``git:`` accounts) whose verification
    somebody looked up."""
    verified: int


def org_verification(store: GraphStore, only: str | None = None) -> OrgVerification:
    """How many organisations are known verified or not (only the one named ``only``)."""
    where = " AND a.name = $org" if only is not None else ""
    return OrgVerification(
        *_counts(
            store,
            "MATCH (a:Actor) WHERE a.kind = 'org' AND a.verified IS NOT NULL "
            "AND NOT a.name STARTS WITH 'github:' AND NOT a.name STARTS WITH 'git:'"
            + where
            + " RETURN count(*), sum(CASE WHEN a.verified = true THEN 1 ELSE 0 END)",
            {"org": only} if only is not None else {},
            2,
        )
    )


class CommitSigning(NamedTuple):
    models: int
    """Models with at least one commit whose signing status is known."""
    models_signed: int
    """Of those, models with a signed commit."""
    commits: int
    """Commits (per model) whose signing status is known: signed, or a reason given."""
    signed: int
    verified: int
    """Signed commits whose signature verifies."""


def commit_signing(store: GraphStore, scope: Scope) -> CommitSigning:
    """The signing status of the commits of the models in ``scope``, counted."""
    return CommitSigning(
        *_counts(
            store,
            f"MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit) WHERE {scope.where()} "
            "AND (c.signature IS NOT NULL OR c.verification_reason IS NOT NULL) "
            "WITH m, count(*) AS known, "
            "sum(CASE WHEN c.signature IS NOT NULL THEN 1 ELSE 0 END) AS signed, "
            "sum(CASE WHEN c.signature IS NOT NULL AND c.verified = true THEN 1 ELSE 0 END) "
            "AS verified "
            "RETURN count(*), sum(CASE WHEN signed > 0 THEN 1 ELSE 0 END), sum(known), "
            "sum(signed), sum(verified)",
            scope.params(),
            5,
        )
    )


class PickleCount(NamedTuple):
    models: int
    """Models with at least one file known."""
    pickle: int
    """Of those, models with a file of pickle-based weights."""


def pickle_count(store: GraphStore, scope: Scope) -> PickleCount:
    """How many models in ``scope`` ship pickle-based weights, over those with files known."""
    return PickleCount(
        *_counts(
            store,
            f"MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE {scope.where()} "
            "WITH m, max(CASE WHEN f.pickle = true THEN 1 ELSE 0 END) AS pickle "
            "RETURN count(*), sum(pickle)",
            scope.params(),
            2,
        )
    )


class PinningCount(NamedTuple):
    references: int
    """``USES_MODEL`` edges."""
    applications: int
    pinned: int
    known: int
    """Edges whose pinning is known."""


def pinning_count(store: GraphStore, scope: Scope) -> PinningCount:
    """Application references to models, pinned to a commit or not. With an author: the
    references to models of ``scope``, or whose id names the author as namespace."""
    where, params = "", scope.params()
    if scope.author is not None:
        params["prefix"] = f"{scope.author}/"
        where = (
            f"WHERE ({scope.where()}) OR (NOT $author CONTAINS '/' "
            "AND (m.id = $author OR m.id STARTS WITH $prefix)) "
        )
    return PinningCount(
        *_counts(
            store,
            f"MATCH (r:CodeRepository)-[u:USES_MODEL]->(m:Model) {where}"
            "RETURN count(*), count(DISTINCT r.id), "
            "sum(CASE WHEN u.pinned = true THEN 1 ELSE 0 END), count(u.pinned)",
            params,
            4,
        )
    )


OWNED = [Column("id", "m.id", pa.string()), Column("owner", "m.author", pa.string())]


def owned_models(store: GraphStore, scope: Scope) -> pa.Table:
    """The models in ``scope`` with an owner: columns ``id``, ``owner``."""
    return store.read_table(
        f"MATCH (m:Model) WHERE {scope.where()} AND m.author IS NOT NULL", OWNED, scope.params()
    )


_SIGNING = (
    "count(*) AS commits, count(c.signature) AS signed, "
    "count(CASE WHEN c.signature IS NOT NULL AND c.verified = true THEN 1 END) AS verified, "
    "count(CASE WHEN c.signature IS NULL AND c.verification_reason IS NULL "
    "AND c.verified IS NULL THEN 1 END) AS unknown"
)
SIGNING = [
    Column("repository", "repository", pa.string()),
    Column("commits", "commits", pa.int64()),
    Column("signed", "signed", pa.int64()),
    Column("verified", "verified", pa.int64()),
    Column("unknown", "unknown", pa.int64()),
]


def _repository(label: RepositoryLabel) -> str:
    if label not in ("Model", "CodeRepository"):
        raise ValueError(f"not a repository label: {label!r}")
    return f"MATCH (r:{label})-[:HAS_COMMIT]->(c:Commit) "


def commit_signing_by_repository(store: GraphStore, label: RepositoryLabel) -> pa.Table:
    """Every ``label`` repository with commits, counted: columns ``repository``,
    ``commits``, ``signed``, ``verified`` (signed and verifying), ``unknown`` (nobody
    reported a status), and for a model ``author``."""
    # grouped by the id, not the node: cheaper on LadybugDB
    if label == "Model":
        group = "WITH r.id AS repository, r.author AS author, "
        columns = [*SIGNING, Column("author", "author", pa.string())]
    else:
        group, columns = "WITH r.id AS repository, ", SIGNING
    return store.read_table(_repository(label) + group + _SIGNING, columns)


FIRST_SIGNED = [
    Column("repository", "r.id", pa.string()),
    Column("sha", "c.id", pa.string()),
    Column("at", "coalesce(c.committed_at, c.authored_at)", pa.string()),
]


def signed_commits(store: GraphStore, label: RepositoryLabel) -> pa.Table:
    """Every signed commit of every ``label`` repository: columns ``repository``, ``sha``
    and ``at`` (committed, else authored; ISO 8601)."""
    return store.read_table(_repository(label) + "WHERE c.signature IS NOT NULL", FIRST_SIGNED)


_STRINGS = pa.list_(pa.string())
DERIVATIONS = [
    Column("child", "c.id", pa.string()),
    Column("parent", "p.id", pa.string()),
    Column("relation", "r.relation", pa.string()),
    Column("evidence", "r.evidence", _STRINGS),
    Column("confidence", "r.confidence", pa.float64()),
    Column("child_model_type", "c.model_type", pa.string()),
    Column("child_architectures", "c.architectures", _STRINGS),
    Column("parent_model_type", "p.model_type", pa.string()),
    Column("parent_architectures", "p.architectures", _STRINGS),
    Column("child_created_at", "c.created_at", pa.string()),
    Column("parent_created_at", "p.created_at", pa.string()),
    Column("parent_ingested", "p.ingested", pa.bool_()),
    Column("parent_removed", "p.removed", pa.bool_()),
    Column("parent_aliases", "p.aliases", _STRINGS),
    Column(
        "types_differ",  # both types known, and different types or architectures
        "c.model_type <> '' AND p.model_type <> '' AND (c.model_type <> p.model_type OR "
        "(size(c.architectures) > 0 AND size(p.architectures) > 0 "
        "AND c.architectures <> p.architectures))",
        pa.bool_(),
    ),
    Column(
        "parent_odd", "p.removed = true OR p.ingested = false OR size(p.aliases) > 0", pa.bool_()
    ),
]
"""The fields of :class:`mlsc.graph.reads.Derivation`, then two conditions the store
decides (null when unknown)."""


def derivation_table(store: GraphStore) -> pa.Table:
    """Every DERIVED_FROM edge with what the discrepancy checks compare on both ends."""
    return store.read_table("MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model)", DERIVATIONS)


def file_format_table(store: GraphStore) -> pa.Table:
    """``model`` and ``format`` of every model file whose format is known."""
    return store.read_table(
        "MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE f.format IS NOT NULL",
        [Column("model", "m.id", pa.string()), Column("format", "f.format", pa.string())],
    )


def chat_template_table(store: GraphStore) -> pa.Table:
    """``model``, ``path``, ``digest`` (chat_template_sha256) and the scan's ``findings``
    of every model file carrying a chat template."""
    return store.read_table(
        "MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE f.chat_template_sha256 IS NOT NULL",
        [
            Column("model", "m.id", pa.string()),
            Column("path", "f.path", pa.string()),
            Column("digest", "f.chat_template_sha256", pa.string()),
            Column("findings", "f.scan_findings", _STRINGS),
        ],
    )
