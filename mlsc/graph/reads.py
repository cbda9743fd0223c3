"""Every read the query layer makes, as a named, typed function over :meth:`GraphStore.read`.

    >>> from mlsc.graph import open_store
    >>> with open_store(read_only=True) as store:                  # doctest: +SKIP
    ...     for f in model_files(store, ["quantlab/Evo-8B-g12-GGUF"]):
    ...         print(f.path, f.format, f.scan_status)

One route per kind of read: traversals go through :meth:`GraphStore.expand` (the lineage
index), single nodes through :meth:`GraphStore.node`, and everything else through the
functions here, each one query with its values as parameters. ``store.cypher()`` is the door
for users' own queries only. Functions that take a list of models answer for all of them in
one round trip (measured on LadybugDB at 100k models: ``UNWIND`` then a key lookup where
that is faster, ``WHERE m.id IN $ms`` where that is); rows come back as named tuples, so
callers may still unpack them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from mlsc.graph import schema
from mlsc.graph.store import GraphStore


def _by_key(store: GraphStore, query: str, models: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of ``query`` (``UNWIND $ms AS mid MATCH (... {id: mid})``) for ``models``."""
    return store.read(query, {"ms": sorted(set(models))})


# -- models and actors --------------------------------------------------------------------


def nodes(store: GraphStore, label: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Key -> every schema property of that node (as :meth:`GraphStore.node` gives it), for
    the keys that exist."""
    ntype = schema.NODES[label]
    rows = store.read(
        f"UNWIND $keys AS k MATCH (n:{label} {{{ntype.key}: k}}) RETURN "
        + ", ".join(f"n.{c}" for c in ntype.columns),
        {"keys": sorted(set(keys))},
    )
    out = {}
    for row in rows:
        props = dict(zip(ntype.columns, row, strict=True))
        out[str(props[ntype.key])] = props
    return out


def organisations(store: GraphStore) -> set[str]:
    """Names of the actors known to be organisations."""
    return {r[0] for r in store.read("MATCH (a:Actor) WHERE a.kind = 'org' RETURN a.name")}


class Member(NamedTuple):
    organisation: str
    member: str


def members_of(store: GraphStore, organisations: Sequence[str]) -> list[Member]:
    """The MEMBER_OF edges into the given organisations (one row per edge)."""
    rows = store.read(
        "MATCH (u:Actor)-[:MEMBER_OF]->(o:Actor) WHERE o.name IN $orgs RETURN o.name, u.name",
        {"orgs": sorted(set(organisations))},
    )
    return [Member(*r) for r in rows]


def owned_counts(store: GraphStore, actors: Sequence[str]) -> dict[str, int]:
    """Actor -> how many distinct models it owns (absent: none)."""
    rows = store.read(
        "MATCH (a:Actor)-[:OWNS]->(m:Model) WHERE a.name IN $actors "
        "RETURN a.name, count(DISTINCT m.id)",
        {"actors": sorted(set(actors))},
    )
    return {str(a): int(n) for a, n in rows}


# -- files --------------------------------------------------------------------------------


class ModelFile(NamedTuple):
    """One file of a model with what ingestion and scans recorded about it."""

    model: str
    path: str
    format: str | None
    pickle: bool | None
    sha256: str | None
    """The hub's hash, else the scan's."""
    source: str | None
    scan_status: str | None
    scan_imports: list[str] | None
    scan_findings: list[str] | None
    scan_pickle: bool | None


def model_files(store: GraphStore, models: Sequence[str]) -> list[ModelFile]:
    """The files of the given models, by model then path."""
    rows = store.read(
        "MATCH (m:Model)-[:HAS_FILE]->(f:File) WHERE m.id IN $ms RETURN m.id, f.path, "
        "f.format, f.pickle, coalesce(f.sha256, f.scan_sha256), f.source, f.scan_status, "
        "f.scan_imports, f.scan_findings, f.scan_pickle",
        {"ms": sorted(set(models))},
    )
    return sorted((ModelFile(*r) for r in rows), key=lambda f: (f.model, f.path))


class FileHash(NamedTuple):
    id: str
    sha256: str | None


def file_hashes(store: GraphStore, model: str) -> list[FileHash]:
    """Each file of ``model`` with the hash another source recorded."""
    rows = store.read(
        "MATCH (:Model {id: $m})-[:HAS_FILE]->(f:File) RETURN f.id, f.sha256", {"m": model}
    )
    return [FileHash(*r) for r in rows]


class BomFile(NamedTuple):
    id: str
    path: str | None
    size: int | None
    sha256: str | None
    format: str | None
    pickle: bool | None
    source: str | None
    observed_at: str | None


def bom_files(store: GraphStore, model: str) -> list[BomFile]:
    """Each file of ``model`` with what an ML-BOM lists, by file id."""
    rows = store.read(
        "MATCH (m:Model {id: $id})-[:HAS_FILE]->(f:File) "
        "RETURN f.id, f.path, f.size, f.sha256, f.format, f.pickle, f.source, f.observed_at "
        "ORDER BY f.id",
        {"id": model},
    )
    return [BomFile(*r) for r in rows]


class FileFormat(NamedTuple):
    model: str
    format: str


def file_formats(store: GraphStore, models: Sequence[str]) -> list[FileFormat]:
    """The known format of every file of the given models."""
    query = (
        "UNWIND $ms AS mid MATCH (m:Model {id: mid})-[:HAS_FILE]->(f:File) "
        "WHERE f.format IS NOT NULL RETURN m.id, f.format"
    )
    return [FileFormat(*r) for r in _by_key(store, query, models)]


class ChatTemplate(NamedTuple):
    model: str
    path: str
    sha256: str
    scan_findings: list[str] | None


def chat_templates(store: GraphStore, models: Sequence[str]) -> list[ChatTemplate]:
    """Every file of the given models carrying a chat template, with its hash and the
    scan's findings."""
    query = (
        "UNWIND $ms AS mid MATCH (m:Model {id: mid})-[:HAS_FILE]->(f:File) "
        "WHERE f.chat_template_sha256 IS NOT NULL "
        "RETURN m.id, f.path, f.chat_template_sha256, f.scan_findings"
    )
    return [ChatTemplate(*r) for r in _by_key(store, query, models)]


# -- derivations and data sets ------------------------------------------------------------


class Derivation(NamedTuple):
    """A DERIVED_FROM edge with what the discrepancy checks compare on both ends."""

    child: str
    parent: str
    relation: str
    evidence: list[str] | None
    confidence: float | None
    child_model_type: str | None
    child_architectures: list[str] | None
    parent_model_type: str | None
    parent_architectures: list[str] | None
    child_created_at: str | None
    parent_created_at: str | None
    parent_ingested: bool | None
    parent_removed: bool | None
    parent_aliases: list[str] | None


_DERIVATION = (
    "RETURN c.id, p.id, r.relation, r.evidence, r.confidence, c.model_type, c.architectures, "
    "p.model_type, p.architectures, c.created_at, p.created_at, p.ingested, p.removed, p.aliases"
)


def derivations(store: GraphStore, touching: Sequence[str]) -> list[Derivation]:
    """Every DERIVED_FROM edge into or out of the ``touching`` models, with both ends' type,
    architectures and dates (``UNWIND``: ``WHERE c.id IN $ms`` tests every edge against the
    whole list, 84 s for 25k models of 200k on LadybugDB)."""
    out_of = "UNWIND $ms AS mid MATCH (c:Model {id: mid})-[r:DERIVED_FROM]->(p:Model) "
    out = [Derivation(*r) for r in _by_key(store, out_of + _DERIVATION, touching)]
    seen = {(d.child, d.parent) for d in out}
    into_ = "UNWIND $ms AS mid MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model {id: mid}) "
    into = _by_key(store, into_ + _DERIVATION, touching)
    out.extend(d for d in map(Derivation._make, into) if (d.child, d.parent) not in seen)
    return out


class DerivationProps(NamedTuple):
    """A DERIVED_FROM edge with its own properties (as :meth:`GraphStore.derivation`)."""

    child: str
    parent: str
    relation: str | None
    evidence: list[str] | None
    confidence: float | None


def derivations_from(store: GraphStore, children: Sequence[str]) -> list[DerivationProps]:
    """Every DERIVED_FROM edge out of the given models, with its properties."""
    rows = store.read(
        "MATCH (c:Model)-[r:DERIVED_FROM]->(p:Model) WHERE c.id IN $ms "
        "RETURN c.id, p.id, r.relation, r.evidence, r.confidence",
        {"ms": sorted(set(children))},
    )
    return [DerivationProps(*r) for r in rows]


class Parent(NamedTuple):
    model: str
    parent: str


def parents_of(store: GraphStore, models: Sequence[str]) -> list[Parent]:
    """The direct parents of the given models."""
    rows = store.read(
        "MATCH (m:Model)-[:DERIVED_FROM]->(p:Model) WHERE m.id IN $ms RETURN m.id, p.id",
        {"ms": sorted(set(models))},
    )
    return [Parent(*r) for r in rows]


class TrainedOn(NamedTuple):
    model: str
    dataset: str
    hub: str | None


def datasets_of(store: GraphStore, models: Sequence[str]) -> list[TrainedOn]:
    """The data sets the given models were trained on, by model then data set id."""
    rows = store.read(
        "MATCH (m:Model)-[:TRAINED_ON]->(d:Dataset) WHERE m.id IN $ms RETURN m.id, d.id, d.hub",
        {"ms": sorted(set(models))},
    )
    return sorted((TrainedOn(*r) for r in rows), key=lambda d: (d.model, d.dataset))


class CodeLink(NamedTuple):
    model: str
    repository: str
    protected: bool | None
    protection: str | None


def code_of(store: GraphStore, models: Sequence[str]) -> list[CodeLink]:
    """The code repositories the given models link to, with their branch protection."""
    rows = store.read(
        "MATCH (m:Model)-[:CODE_AT]->(r:CodeRepository) WHERE m.id IN $ms "
        "RETURN m.id, r.id, r.protected, r.protection",
        {"ms": sorted(set(models))},
    )
    return [CodeLink(*r) for r in rows]


# -- commits ------------------------------------------------------------------------------


class ModelCommit(NamedTuple):
    model: str
    sha: str
    title: str | None
    signature: str | None
    verified: bool | None
    verification_reason: str | None
    rewritten: bool | None


def commits_of(store: GraphStore, models: Sequence[str]) -> list[ModelCommit]:
    """The commits of the given models."""
    rows = store.read(
        "MATCH (m:Model)-[:HAS_COMMIT]->(c:Commit) WHERE m.id IN $ms RETURN m.id, c.id, "
        "c.title, c.signature, c.verified, c.verification_reason, c.rewritten",
        {"ms": sorted(set(models))},
    )
    return [ModelCommit(*r) for r in rows]


class CommitAuthor(NamedTuple):
    model: str
    author: str
    sha: str
    signature: str | None


def commit_authors_of(store: GraphStore, models: Sequence[str]) -> list[CommitAuthor]:
    """Who authored each commit of the given models (distinct rows)."""
    rows = store.read(
        "UNWIND $ms AS mid MATCH (:Model {id: mid})-[:HAS_COMMIT]->(c:Commit)<-[:AUTHORED]-"
        "(a:Actor) RETURN DISTINCT mid, a.name, c.id, c.signature",
        {"ms": sorted(set(models))},
    )
    return [CommitAuthor(*r) for r in rows]
