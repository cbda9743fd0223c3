"""A model's CycloneDX 1.6 ML-BOM: its card fields, files, licences, data sets and lineage.

    >>> from mlsc.graph import open_store
    >>> from mlsc.queries.bom import ml_bom_facts
    >>> with open_store(read_only=True) as store:                    # doctest: +SKIP
    ...     print(ml_bom_json(ml_bom_facts(store, "quantlab/Evo-8B-g12-GGUF")))

Values in, text out: :func:`mlsc.queries.bom.ml_bom_facts` reads what the document needs;
this module never touches a store.

The document is built with cyclonedx-python-lib's model classes and its JSON 1.6 outputter.
The library has no model card (``Component.model_card`` is a TODO there) and no ``data``
field, so those two, and the derivation edges of the ``dependencies`` graph (whose targets
the library only accepts among ``components``), are added to its JSON output afterwards.
The tests check every document against the strict 1.6 JSON schema.

Structure:

* ``metadata.component`` is the model, type ``machine-learning-model``, with ``group`` (the
  namespace), ``name``, ``version`` (the Hub commit sha), ``purl``, ``supplier`` and
  ``publisher`` (the owner namespace), ``licenses`` (declared), a ``website`` link,
  ``modelCard.modelParameters`` (``task`` from ``pipeline_tag``, ``architectureFamily`` from
  ``model_type``, ``modelArchitecture`` from ``architectures``, ``datasets`` as references to
  the ``data`` components) and ``mlsc:*`` properties for what has no native field.
* ``components``: each file (type ``file``, SHA-256 hash, size, format, pickle flag, a
  ``distribution`` link) and each data set (type ``data``, a ``website`` link).
* ``metadata.component.pedigree.ancestors``: the whole lineage, flat: every ancestor once, at
  its shortest distance, in lineage order (depth, downloads, id). Not nested, because a merge
  of merges reaches one base along several paths (and every ``bom-ref`` must be unique in a
  BOM) and a lineage cycle would nest forever. Each ancestor is a ``machine-learning-model``
  component with the hop that reached it on a shortest path, as properties: ``mlsc:depth``,
  ``mlsc:via`` (the model one step nearer), ``mlsc:relation``, ``mlsc:evidence`` (one per
  item), ``mlsc:confidence``, ``mlsc:direct-parent``; and every DERIVED_FROM edge out of it,
  as ``mlsc:derived-from`` JSON values (``parent``, ``relation``, ``evidence``,
  ``confidence``), so the whole graph survives. A placeholder (``ingested = false``) has
  ``mlsc:placeholder``.
* ``dependencies``: the model depends on its data sets and its direct parents, each ancestor
  on its own parents (a lineage cycle stays a cycle there: it is a graph, not a tree), files
  and data sets on nothing.

``bom-ref``: a Hugging Face model's package URL, also its ``purl``
(``pkg:huggingface/<namespace>/<name>@<sha>``, without ``@<sha>`` when the sha is unknown or
not hex); ``mlsc:model:<hub>:<id>`` for a model of another hub or with an id that is not a
valid Hub id (its purl would be ambiguous); ``mlsc:file:<file id>``; ``mlsc:dataset:<id>``.
``serialNumber`` is a UUID derived from the rest of the document, so the same graph and the
same ``now`` give the same bytes.

Properties: a graph property keeps its schema name (``mlsc:downloads``, ``mlsc:gated``,
``mlsc:security_status``, one ``mlsc:aliases`` per alias, ...); names of our own are
hyphenated (``mlsc:derived-from``, ``mlsc:owner-kind``). Values are strings: booleans
``true``/``false``, numbers as JSON.

Every string from the graph (ids, licences, card fields, evidence) is attacker-controlled. It
only ever becomes a JSON string value (``json`` escapes it); URLs are built from
percent-encoded ids and paths; a hash that is not hex is kept as a property, not as a hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import quote

from cyclonedx import __version__ as cyclonedx_version
from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import License, LicenseAcknowledgement, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

import mlsc
from mlsc.graph.reads import BomFile, TrainedOn
from mlsc.ingest.lineage import is_valid_repo_id
from mlsc.queries.bom import BomEdge, MlBomFacts
from mlsc.queries.results import LineageEntry

__all__ = ["SPEC_VERSION", "ml_bom", "ml_bom_json"]

SPEC_VERSION = "1.6"
HUB_URL = "https://huggingface.co"
PROPERTY_PREFIX = "mlsc:"

# Model properties that have a native place in the document (identity, card, licences).
_NATIVE = frozenset(
    {"id", "author", "sha", "license", "pipeline_tag", "model_type", "architectures"}
)
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")
_GITHUB_REPO = re.compile(r"^https://github\.com/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/?$")
_PLACEHOLDER = "record not ingested: known only as a base that another model names"


@dataclass(frozen=True)
class _Dataset:
    """A data set the model was trained on."""

    component: Component
    ref: str
    data: dict[str, Any]
    """Its ``data`` entry (CycloneDX ``componentData``), which the library cannot write."""


def ml_bom(facts: MlBomFacts, *, now: datetime | None = None) -> dict[str, Any]:
    """The CycloneDX 1.6 ML-BOM of the model ``facts`` describe, as a JSON-ready dict.

    ``now`` is the document's timestamp (default: the current time); with the same ``now``
    and the same facts the document is the same.
    """
    lineage = facts
    model_id = facts.model
    node = lineage.nodes[model_id]
    refs = _Refs()
    model_ref = refs.take(_model_ref(node))
    ancestor_refs = {a.id: refs.take(_model_ref(lineage.nodes[a.id])) for a in lineage.ancestors}
    model_refs = {model_id: model_ref, **ancestor_refs}

    datasets = _datasets(facts.datasets, refs)
    files = _files(facts.files, model_id, node, refs)

    model = _model_component(facts.owners, node, model_ref)
    model.properties.update(_derived_from(lineage.edges.get(model_id, ())))
    for cycle in lineage.cycles:
        model.properties.add(Property(name=_p("lineage-cycle"), value=_compact(list(cycle))))
    if lineage.ancestors:
        model.pedigree = Pedigree(
            ancestors=[
                _ancestor_component(lineage, entry, ancestor_refs[entry.id])
                for entry in lineage.ancestors
            ]
        )

    tool = Component(
        type=ComponentType.APPLICATION,
        name="mlsc",
        version=_mlsc_version(),
        description="knowledge base of the machine-learning supply chain",
    )
    bom = Bom(
        metadata=BomMetaData(
            timestamp=_timestamp(now),
            tools=ToolRepository(components=[tool, _library()]),
            component=model,
        ),
        components=[*files, *(d.component for d in datasets)],
    )
    if datasets:
        bom.register_dependency(model, [d.component for d in datasets])
    with warnings.catch_warnings():
        # "has no defined dependencies": the derivation edges are added below
        warnings.filterwarnings("ignore", message="The Component this BOM is describing")
        doc: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())

    # What the library cannot express: model cards, data, derivation dependencies.
    cards = {model_ref: _model_card(node, [d.ref for d in datasets])}
    cards.update({ancestor_refs[i]: _model_card(lineage.nodes[i], []) for i in ancestor_refs})
    subject = doc["metadata"]["component"]
    _add_card(subject, cards)
    order = {ref: n for n, ref in enumerate(ancestor_refs.values())}
    pedigree = subject.get("pedigree", {})
    if "ancestors" in pedigree:
        pedigree["ancestors"].sort(key=lambda c: order[c["bom-ref"]])
        for ancestor in pedigree["ancestors"]:
            _add_card(ancestor, cards)
    data = {d.ref: d.data for d in datasets}
    for component in doc.get("components", []):
        if component["bom-ref"] in data:
            component["data"] = [data[component["bom-ref"]]]
    doc["dependencies"] = _dependencies(doc.get("dependencies", []), lineage, model_refs)

    head = ("$schema", "bomFormat", "specVersion", "serialNumber", "version")
    doc = {**{k: doc.get(k) for k in head}, **doc}
    doc["serialNumber"] = None
    digest = hashlib.sha256(_compact(doc).encode()).hexdigest()
    doc["serialNumber"] = uuid.uuid5(uuid.NAMESPACE_URL, f"mlsc:cyclonedx:{digest}").urn
    return doc


def ml_bom_json(facts: MlBomFacts, *, now: datetime | None = None, indent: int | None = 2) -> str:
    """:func:`ml_bom` as JSON text (ASCII: any other character is ``\\u`` escaped)."""
    return json.dumps(ml_bom(facts, now=now), indent=indent, ensure_ascii=True)


# ------------------------------------------------------------------------------------------
# Data sets and files


def _datasets(rows: Iterable[TrainedOn], refs: _Refs) -> list[_Dataset]:
    """Each data set the model was trained on, as a ``data`` component and its ``data``."""
    out = []
    for _, dataset_id, hub in rows:
        group, name = _split(dataset_id)
        ref = refs.take(f"mlsc:dataset:{dataset_id}")
        data: dict[str, Any] = {"type": "dataset", "name": dataset_id}
        links = []
        if hub in (None, "huggingface"):
            url = f"{HUB_URL}/datasets/{_path(dataset_id)}"
            data["contents"] = {"url": url}
            links.append(ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url)))
        component = Component(
            type=ComponentType.DATA,
            name=name,
            group=group,
            bom_ref=ref,
            external_references=links,
            properties=_properties({"hub": hub}),
        )
        out.append(_Dataset(component, ref, data))
    return out


def _files(
    rows: Iterable[BomFile], model_id: str, node: Mapping[str, Any], refs: _Refs
) -> list[Component]:
    """Each file of the model's repository, as a ``file`` component with its SHA-256."""
    out = []
    revision = node.get("sha") or "main"
    for file_id, path, size, sha256, fmt, pickle, source, observed_at in rows:
        ref = refs.take(f"mlsc:file:{file_id}")
        name = path or file_id
        hashes = []
        extra: dict[str, Any] = {}
        if isinstance(sha256, str) and _SHA256.match(sha256):
            hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=sha256.lower()))
        elif sha256 is not None:
            extra["sha256"] = sha256  # not a SHA-256: kept as it was written, not as a hash
        links = []
        if node.get("hub") in (None, "huggingface") and path:
            url = f"{HUB_URL}/{_path(model_id)}/resolve/{_path(revision)}/{_path(path)}"
            links.append(ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(url)))
        component = Component(
            type=ComponentType.FILE,
            name=name,
            bom_ref=ref,
            hashes=hashes,
            external_references=links,
            properties=_properties(
                {
                    **extra,
                    "size": size,
                    "format": fmt,
                    "pickle": pickle,
                    "source": source,
                    "observed_at": observed_at,
                }
            ),
        )
        out.append(component)
    return out


# ------------------------------------------------------------------------------------------
# Components


def _model_component(
    owners: Mapping[str, Mapping[str, Any]], node: Mapping[str, Any], ref: str
) -> Component:
    """A model as a ``machine-learning-model`` component (card fields are added later)."""
    model_id = str(node["id"])
    group, name = _split(model_id)
    author = node.get("author")
    huggingface = node.get("hub") in (None, "huggingface")
    supplier = None
    props: dict[str, Any] = {k: v for k, v in node.items() if k not in _NATIVE}
    if author:
        urls = [XsUri(f"{HUB_URL}/{_path(author)}")] if huggingface else []
        supplier = OrganizationalEntity(name=author, urls=urls)
        owner = owners.get(author)
        if owner is not None:
            props["owner-kind"] = owner.get("kind")
            props["owner-verified"] = owner.get("verified")
    if node.get("license") is not None:
        props["license"] = node["license"]  # the text as written; `licenses` normalises it
    links = []
    if huggingface:
        url = f"{HUB_URL}/{_path(model_id)}"
        links.append(ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url)))
    for link in node.get("code_links") or ():
        if isinstance(link, str) and _GITHUB_REPO.match(link):
            links.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(link)))
    if node.get("ingested") is False:
        props["placeholder"] = _PLACEHOLDER
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=name,
        group=group,
        version=node.get("sha") or None,
        bom_ref=ref,
        purl=_purl(node),
        supplier=supplier,
        publisher=author or None,
        licenses=_licences(node.get("license")),
        external_references=links,
        properties=_properties(props),
    )


def _ancestor_component(lineage: MlBomFacts, entry: LineageEntry, ref: str) -> Component:
    """An ancestor, with the hop that reached it and every derivation out of it."""
    component = _model_component(lineage.owners, lineage.nodes[entry.id], ref)
    hop = next((e for e in lineage.edges.get(entry.via, ()) if e.parent == entry.id), None)
    component.properties.update(
        _properties(
            {
                "depth": entry.depth,
                "via": entry.via,
                "relation": entry.relation,
                "evidence": list(hop.evidence) if hop else None,
                "confidence": hop.confidence if hop else None,
                "direct-parent": entry.depth == 1,
            }
        )
    )
    component.properties.update(_derived_from(lineage.edges.get(entry.id, ())))
    return component


def _derived_from(edges: Iterable[BomEdge]) -> list[Property]:
    return [Property(name=_p("derived-from"), value=_edge_json(e)) for e in edges]


def _edge_json(edge: BomEdge) -> str:
    return _compact(
        {
            "parent": edge.parent,
            "relation": edge.relation,
            "evidence": list(edge.evidence),
            "confidence": edge.confidence,
        }
    )


def _licences(text: Any) -> list[License]:
    """The declared licences: an SPDX id (or expression) where it is one, else a name.

    Snapshot ingestion joins a list of licences with ``", "``; each part is one licence. An
    expression is kept only when it is the whole text (CycloneDX forbids an expression
    beside other licences).
    """
    if not isinstance(text, str) or not text.strip():
        return []
    factory = LicenseFactory()
    declared = LicenseAcknowledgement.DECLARED
    parts = [p.strip() for p in text.split(", ") if p.strip()]
    if len(parts) == 1:
        return [factory.make_from_string(parts[0], license_acknowledgement=declared)]
    out: list[License] = []
    for part in parts:
        licence = factory.make_from_string(part, license_acknowledgement=declared)
        if isinstance(licence, LicenseExpression):
            licence = factory.make_with_name(part, acknowledgement=declared)
        out.append(licence)
    return out


def _model_card(node: Mapping[str, Any], dataset_refs: Sequence[str]) -> dict[str, Any]:
    """``modelCard`` (CycloneDX 1.6) from the fields the graph knows."""
    params: dict[str, Any] = {}
    if node.get("pipeline_tag"):
        params["task"] = str(node["pipeline_tag"])
    if node.get("model_type"):
        params["architectureFamily"] = str(node["model_type"])
    architectures = [str(a) for a in node.get("architectures") or () if a is not None]
    if architectures:
        params["modelArchitecture"] = ", ".join(architectures)
    if dataset_refs:
        params["datasets"] = [{"ref": ref} for ref in dataset_refs]
    return {"modelParameters": params} if params else {}


def _add_card(component: dict[str, Any], cards: Mapping[str, dict[str, Any]]) -> None:
    card = cards.get(component["bom-ref"])
    if card:
        component["modelCard"] = card


def _dependencies(
    entries: Iterable[dict[str, Any]], lineage: MlBomFacts, refs: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The library's entries plus every DERIVED_FROM edge of the lineage, sorted."""
    graph: dict[str, set[str]] = {e["ref"]: set(e.get("dependsOn", ())) for e in entries}
    for model_id, ref in refs.items():
        graph.setdefault(ref, set()).update(refs[e.parent] for e in lineage.edges.get(model_id, ()))
    out = []
    for ref in sorted(graph):
        entry: dict[str, Any] = {"ref": ref}
        if graph[ref]:
            entry["dependsOn"] = sorted(graph[ref])
        out.append(entry)
    return out


# ------------------------------------------------------------------------------------------
# Small helpers


class _Refs:
    """Hands out ``bom-ref`` values, each unique in the document."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, wanted: str) -> str:
        ref, n = wanted, 1
        while ref in self._taken:
            n += 1
            ref = f"{wanted}#{n}"
        self._taken.add(ref)
        return ref


def _model_ref(node: Mapping[str, Any]) -> str:
    purl = _purl(node)
    if purl is not None:
        return purl.to_string()
    return f"mlsc:model:{node.get('hub') or 'huggingface'}:{node['id']}"


def _purl(node: Mapping[str, Any]) -> PackageURL | None:
    """``pkg:huggingface/<namespace>/<name>@<sha>`` for a Hugging Face model.

    None for another hub or an id that is not a valid Hub id (its purl would be ambiguous);
    the version only when the sha is hex (the purl type wants the commit, lowercased).
    """
    model_id = node["id"]
    if node.get("hub") not in (None, "huggingface") or not is_valid_repo_id(model_id):
        return None
    group, name = _split(model_id)
    sha = node.get("sha")
    revision = sha.lower() if isinstance(sha, str) and _HEX.match(sha) else None
    return PackageURL(type="huggingface", namespace=group, name=name, version=revision)


def _split(identifier: str) -> tuple[str | None, str]:
    """``namespace/name`` -> (namespace, name); a legacy id has no namespace."""
    if "/" in identifier:
        group, name = identifier.split("/", 1)
        if group and name:
            return group, name
    return None, identifier


def _properties(values: Mapping[str, Any]) -> list[Property]:
    """``mlsc:<name>`` properties, one per item of a list; null values left out."""
    out: list[Property] = []
    for key in sorted(values):
        value = values[key]
        items = value if isinstance(value, (list, tuple)) else [value]
        out.extend(Property(name=_p(key), value=_text(v)) for v in items if v is not None)
    return out


def _p(name: str) -> str:
    return PROPERTY_PREFIX + name


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _path(text: str) -> str:
    """Percent-encode for a URL path, keeping ``/``."""
    return quote(text, safe="/")


def _timestamp(now: datetime | None) -> datetime:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _library() -> Component:
    """cyclonedx-python-lib as a tool (``this_component()`` without its eight links)."""
    return Component(
        type=ComponentType.LIBRARY,
        group="CycloneDX",
        name="cyclonedx-python-lib",
        version=cyclonedx_version,
    )


def _mlsc_version() -> str:
    try:
        return version("mlsc")
    except PackageNotFoundError:
        return mlsc.__version__
