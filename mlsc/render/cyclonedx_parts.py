"""The components of a model's ML-BOM and the small pieces they are built from.

:mod:`mlsc.render.cyclonedx` assembles the document from these; its docstring says what
each component holds. Every string from the graph is attacker-controlled: it only ever
becomes a JSON string value, URLs are built from percent-encoded ids and paths, and a hash
that is not hex is kept as a property, not as a hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import License, LicenseAcknowledgement, LicenseExpression
from packageurl import PackageURL

from mlsc.graph.reads import BomFile, TrainedOn
from mlsc.queries.bom import BomEdge, MlBomFacts
from mlsc.queries.results import LineageEntry
from mlsc.vocab import is_valid_repo_id

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
class Dataset:
    """A data set the model was trained on."""

    component: Component
    ref: str
    data: dict[str, Any]
    """Its ``data`` entry (CycloneDX ``componentData``), which the library cannot write."""


def datasets(rows: Iterable[TrainedOn], refs: Refs) -> list[Dataset]:
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
            properties=properties({"hub": hub}),
        )
        out.append(Dataset(component, ref, data))
    return out


def files(
    rows: Iterable[BomFile], model_id: str, node: Mapping[str, Any], refs: Refs
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
            properties=properties(
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


def model_component(
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
        properties=properties(props),
    )


def ancestor_component(lineage: MlBomFacts, entry: LineageEntry, ref: str) -> Component:
    """An ancestor, with the hop that reached it and every derivation out of it."""
    component = model_component(lineage.owners, lineage.nodes[entry.id], ref)
    hop = next((e for e in lineage.edges.get(entry.via, ()) if e.parent == entry.id), None)
    component.properties.update(
        properties(
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
    component.properties.update(derived_from(lineage.edges.get(entry.id, ())))
    return component


def derived_from(edges: Iterable[BomEdge]) -> list[Property]:
    """One ``mlsc:derived-from`` property (a JSON value) per DERIVED_FROM edge."""
    return [Property(name=prop("derived-from"), value=_edge_json(e)) for e in edges]


def _edge_json(edge: BomEdge) -> str:
    return compact(
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


def model_card(node: Mapping[str, Any], dataset_refs: Sequence[str]) -> dict[str, Any]:
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


class Refs:
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


def model_ref(node: Mapping[str, Any]) -> str:
    """The ``bom-ref`` a model wants: its purl, else ``mlsc:model:<hub>:<id>``."""
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


def properties(values: Mapping[str, Any]) -> list[Property]:
    """``mlsc:<name>`` properties, one per item of a list; null values left out."""
    out: list[Property] = []
    for key in sorted(values):
        value = values[key]
        items = value if isinstance(value, (list, tuple)) else [value]
        out.extend(Property(name=prop(key), value=_text(v)) for v in items if v is not None)
    return out


def prop(name: str) -> str:
    """A property name in mlsc's namespace."""
    return PROPERTY_PREFIX + name


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def compact(value: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, ASCII."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _path(text: str) -> str:
    """Percent-encode for a URL path, keeping ``/``."""
    return quote(text, safe="/")
