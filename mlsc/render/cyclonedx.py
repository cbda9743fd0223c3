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
import uuid
import warnings
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from cyclonedx import __version__ as cyclonedx_version
from cyclonedx.model import (
    Property,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6

import mlsc
from mlsc.queries.bom import MlBomFacts
from mlsc.render import cyclonedx_parts as parts

__all__ = ["SPEC_VERSION", "ml_bom", "ml_bom_json"]

SPEC_VERSION = "1.6"


def ml_bom(facts: MlBomFacts, *, now: datetime | None = None) -> dict[str, Any]:
    """The CycloneDX 1.6 ML-BOM of the model ``facts`` describe, as a JSON-ready dict.

    ``now`` is the document's timestamp (default: the current time); with the same ``now``
    and the same facts the document is the same.
    """
    lineage = facts
    model_id = facts.model
    node = lineage.nodes[model_id]
    refs = parts.Refs()
    model_ref = refs.take(parts.model_ref(node))
    ancestor_refs = {
        a.id: refs.take(parts.model_ref(lineage.nodes[a.id])) for a in lineage.ancestors
    }
    model_refs = {model_id: model_ref, **ancestor_refs}

    datasets = parts.datasets(facts.datasets, refs)
    files = parts.files(facts.files, model_id, node, refs)

    model = parts.model_component(facts.owners, node, model_ref)
    model.properties.update(parts.derived_from(lineage.edges.get(model_id, ())))
    for cycle in lineage.cycles:
        model.properties.add(
            Property(name=parts.prop("lineage-cycle"), value=parts.compact(list(cycle)))
        )
    if lineage.ancestors:
        model.pedigree = Pedigree(
            ancestors=[
                parts.ancestor_component(lineage, entry, ancestor_refs[entry.id])
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
    cards = {model_ref: parts.model_card(node, [d.ref for d in datasets])}
    cards.update({ancestor_refs[i]: parts.model_card(lineage.nodes[i], []) for i in ancestor_refs})
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
    digest = hashlib.sha256(parts.compact(doc).encode()).hexdigest()
    doc["serialNumber"] = uuid.uuid5(uuid.NAMESPACE_URL, f"mlsc:cyclonedx:{digest}").urn
    return doc


def ml_bom_json(facts: MlBomFacts, *, now: datetime | None = None, indent: int | None = 2) -> str:
    """:func:`ml_bom` as JSON text (ASCII: any other character is ``\\u`` escaped)."""
    return json.dumps(ml_bom(facts, now=now), indent=indent, ensure_ascii=True)


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
