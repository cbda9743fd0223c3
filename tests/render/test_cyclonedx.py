"""The CycloneDX 1.6 ML-BOM export, checked against the strict 1.6 JSON schema."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from mlsc.errors import NotFoundError
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import lineage
from mlsc.queries.bom import ml_bom_facts
from mlsc.render import cyclonedx
from tests.conftest import SAMPLE

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PROV = {"source": "test", "observed_at": "2025-06-01T00:00:00.000Z"}

DEEP = "quantlab/Evo-8B-g12-GGUF"  # a 14-hop chain down from meta-llama/Llama-3.1-8B
MERGE_OF_MERGES = "mergekitchen/Tern-Quill-8B-dare-ties"
WITH_FILES = "kvcache/math-llama-3.1-8b-instruct"  # three data sets in the sample
ON_PLACEHOLDER = "driftwood-ai/gpt2-shakespeare"  # derives from the placeholder gpt2
IN_CYCLE = "loopwright/qwen-chat-v1"  # qwen-chat-v1 <-> qwen-chat-v2
EXPRESSION = "lic-test/expression"



def ml_bom(store: GraphStore, model: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The document of ``model``: what the CLI does (gather, then render)."""
    return cyclonedx.ml_bom(ml_bom_facts(store, model), now=now)


def ml_bom_json(store: GraphStore, model: str, *, now: datetime | None = None) -> str:
    return cyclonedx.ml_bom_json(ml_bom_facts(store, model), now=now)


HOSTILE = 'evil-org/"><img src=x onerror=alert(1)>'
HOSTILE_BASE = "evil-org/plain-base"
HOSTILE_LICENSE = "<img src=x onerror=alert(1)> \"MIT\" 'quoted' \\ \u2028 end"
HOSTILE_TASK = 'text-generation"><script>alert(2)</script>'
HOSTILE_DATASET = 'evil-data/"><svg onload=alert(3)>'
HOSTILE_PATH = 'weights/"><img src=x onerror=alert(4)>%zz#a#.bin'
HOSTILE_EVIDENCE = 'card: <b onmouseover=alert(5)>"base_model"</b>'

SHA_A = hashlib.sha256(b"model-00001-of-00002.safetensors").hexdigest()
SHA_B = hashlib.sha256(b"pytorch_model.bin").hexdigest().upper()
FILES = {
    "model-00001-of-00002.safetensors": {"sha256": SHA_A, "format": "safetensors", "pickle": False},
    "pytorch_model.bin": {"sha256": SHA_B, "format": "bin", "pickle": True},
    "README.md": {"sha256": None, "format": None, "pickle": False},
    "odd.bin": {"sha256": "deadbeef", "format": "bin", "pickle": True},
}

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)


def _extra_records() -> GraphBatch:
    """Files for WITH_FILES; a hostile model on a hostile base; a licence expression."""
    nodes = [
        NodeRecord(
            "File",
            f"{WITH_FILES}/{path}",
            {"repo": WITH_FILES, "path": path, "size": 1000 + n, **info, **PROV},
        )
        for n, (path, info) in enumerate(FILES.items())
    ]
    edges = [
        EdgeRecord("HAS_FILE", "Model", WITH_FILES, "File", f"{WITH_FILES}/{path}", PROV)
        for path in FILES
    ]
    hostile_props = {
        "hub": "huggingface",
        "author": 'evil"org<',
        "sha": '<b>"not a sha"</b>',
        "license": HOSTILE_LICENSE,
        "pipeline_tag": HOSTILE_TASK,
        "model_type": "llama\"'<>",
        "architectures": ["<script>alert(6)</script>", 'A"B'],
        "aliases": ['evil-org/"old"'],
        "security_status": '{"scansDone": "<x>", "filesWithIssues": ["a\\"b"]}',
        "code_links": ["javascript:alert(7)", "https://github.com/evil-org/repo"],
        "downloads": 7,
        "ingested": True,
        **PROV,
    }
    nodes += [
        NodeRecord("Model", HOSTILE, hostile_props),
        NodeRecord(
            "Model",
            HOSTILE_BASE,
            {
                "hub": "huggingface",
                "author": "evil-org",
                "sha": 'NOT-A-SHA"<x>',
                "license": "MIT, <script>, Apache-2.0 OR MIT",
                "pipeline_tag": HOSTILE_TASK,
                "ingested": True,
                **PROV,
            },
        ),
        NodeRecord("Dataset", HOSTILE_DATASET, {"hub": "huggingface", **PROV}),
        NodeRecord("Actor", 'evil"org<', {"kind": "org", "verified": False, **PROV}),
        NodeRecord(
            "File",
            f"{HOSTILE}/{HOSTILE_PATH}",
            {"repo": HOSTILE, "path": HOSTILE_PATH, "sha256": '"><script>', **PROV},
        ),
        NodeRecord(
            "Model",
            EXPRESSION,
            {"hub": "huggingface", "author": "lic-test", "license": "MIT OR Apache-2.0", **PROV},
        ),
    ]
    derived = {"relation": "adapter", "evidence": [HOSTILE_EVIDENCE], "confidence": 0.4, **PROV}
    edges += [
        EdgeRecord("DERIVED_FROM", "Model", HOSTILE, "Model", HOSTILE_BASE, derived),
        EdgeRecord(
            "DERIVED_FROM",
            "Model",
            HOSTILE_BASE,
            "Model",
            "mallory/innocent-finetune",
            {"relation": "merge", "evidence": ['"><i>'], "confidence": 0.8, **PROV},
        ),
        EdgeRecord("TRAINED_ON", "Model", HOSTILE, "Dataset", HOSTILE_DATASET, PROV),
        EdgeRecord("HAS_FILE", "Model", HOSTILE, "File", f"{HOSTILE}/{HOSTILE_PATH}", PROV),
    ]
    return GraphBatch(nodes=nodes, edges=edges)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    path: Path = tmp_path_factory.mktemp("cyclonedx") / "kb"
    with LadybugStore(path) as store:
        ingest_snapshot(store, SAMPLE)
        store.write(_extra_records())
        yield store


EXPORTED = [DEEP, MERGE_OF_MERGES, WITH_FILES, ON_PLACEHOLDER, "gpt2", IN_CYCLE, HOSTILE]


@pytest.fixture(scope="module")
def docs(kb: GraphStore) -> dict[str, dict[str, Any]]:
    return {m: ml_bom(kb, m, now=NOW) for m in [*EXPORTED, HOSTILE_BASE, EXPRESSION]}


# ------------------------------------------------------------------------------------------
# Helpers


def _errors(doc: dict[str, Any]) -> str | None:
    error = VALIDATOR.validate_str(json.dumps(doc))
    return None if error is None else str(error)


def _values(component: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == name]


def _value(component: dict[str, Any], name: str) -> str:
    values = _values(component, name)
    assert len(values) == 1, (name, values)
    return values[0]


def _subject(doc: dict[str, Any]) -> dict[str, Any]:
    component: dict[str, Any] = doc["metadata"]["component"]
    return component


def _ancestors(doc: dict[str, Any]) -> list[dict[str, Any]]:
    ancestors: list[dict[str, Any]] = _subject(doc).get("pedigree", {}).get("ancestors", [])
    return ancestors


def _model_id(component: dict[str, Any]) -> str:
    group = component.get("group")
    return f"{group}/{component['name']}" if group else str(component["name"])


def _bom_refs(value: Any) -> Iterator[str]:
    """Every ``bom-ref`` anywhere in the document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "bom-ref":
                yield item
            else:
                yield from _bom_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _bom_refs(item)


def _edges_of(doc: dict[str, Any]) -> set[tuple[str, str, str, tuple[str, ...], float | None]]:
    """(child, parent, relation, evidence, confidence) from the mlsc:derived-from values."""
    out = set()
    for component in [_subject(doc), *_ancestors(doc)]:
        for raw in _values(component, "mlsc:derived-from"):
            edge = json.loads(raw)
            out.add(
                (
                    _model_id(component),
                    edge["parent"],
                    edge["relation"],
                    tuple(edge["evidence"]),
                    edge["confidence"],
                )
            )
    return out


def _graph_edges(store: GraphStore, model: str) -> set[tuple[str, str, str, tuple[str, ...], Any]]:
    """Every DERIVED_FROM edge out of the model and its ancestors, straight from the store."""
    members = {model, *(a.id for a in lineage(store, model).ancestors)}
    out = set()
    for child in members:
        rows = store.cypher(
            "MATCH (c:Model {id: $id})-[r:DERIVED_FROM]->(p:Model) "
            "RETURN p.id, r.relation, r.evidence, r.confidence",
            {"id": child},
        ).rows
        out |= {(child, p, r, tuple(e or ()), c) for p, r, e, c in rows}
    return out


# ------------------------------------------------------------------------------------------
# Schema


@pytest.mark.parametrize("model", [*EXPORTED, HOSTILE_BASE, EXPRESSION])
def test_every_document_is_valid_cyclonedx_1_6(docs: dict[str, dict[str, Any]], model: str) -> None:
    doc = docs[model]
    assert _errors(doc) is None
    assert (doc["bomFormat"], doc["specVersion"], doc["version"]) == ("CycloneDX", "1.6", 1)
    assert doc["$schema"] == "http://cyclonedx.org/schema/bom-1.6.schema.json"
    assert _subject(doc)["type"] == "machine-learning-model"
    assert _model_id(_subject(doc)) == model
    refs = list(_bom_refs(doc))
    assert len(refs) == len(set(refs)), "every bom-ref is unique in the document"


def test_the_validator_rejects_what_the_schema_forbids(docs: dict[str, dict[str, Any]]) -> None:
    """The check above is not vacuous: the strict 1.6 schema is really applied."""

    def broken(edit: Any) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(json.dumps(docs[WITH_FILES]))
        del _subject(doc)["pedigree"]  # smaller, and still valid: faster to check
        edit(doc)
        return doc

    def bad_hash(doc: dict[str, Any]) -> None:
        next(c for c in doc["components"] if c.get("hashes"))["hashes"][0]["content"] = "xyz"

    def unknown_field(doc: dict[str, Any]) -> None:
        _subject(doc)["modelCard"]["modelParameters"]["tasks"] = "typo"

    def inline_dataset_as_ref(doc: dict[str, Any]) -> None:
        _subject(doc)["modelCard"]["modelParameters"]["datasets"][0] = {"ref": {"type": "x"}}

    assert _errors(broken(lambda doc: None)) is None
    for edit in (bad_hash, unknown_field, inline_dataset_as_ref):
        assert _errors(broken(edit)) is not None, edit.__name__


# ------------------------------------------------------------------------------------------
# Lineage


@pytest.mark.parametrize("model", EXPORTED)
def test_ancestors_are_the_whole_lineage(
    kb: GraphStore, docs: dict[str, dict[str, Any]], model: str
) -> None:
    expected = lineage(kb, model).ancestors
    ancestors = _ancestors(docs[model])
    assert len(ancestors) == len(expected)
    assert [_model_id(a) for a in ancestors] == [e.id for e in expected]  # lineage order
    for component, entry in zip(ancestors, expected, strict=True):
        assert component["type"] == "machine-learning-model"
        assert _value(component, "mlsc:depth") == str(entry.depth)
        assert _value(component, "mlsc:via") == entry.via
        assert _value(component, "mlsc:relation") == entry.relation
        assert _value(component, "mlsc:direct-parent") == ("true" if entry.depth == 1 else "false")
        assert "pedigree" not in component, "flat: every ancestor sits on the model itself"


@pytest.mark.parametrize("model", EXPORTED)
def test_relations_are_the_derived_from_edges(
    kb: GraphStore, docs: dict[str, dict[str, Any]], model: str
) -> None:
    doc = docs[model]
    assert _edges_of(doc) == _graph_edges(kb, model)
    for component in _ancestors(doc):
        hop = kb.derivation(_value(component, "mlsc:via"), _model_id(component))
        assert hop is not None
        assert _value(component, "mlsc:relation") == hop["relation"]
        assert sorted(_values(component, "mlsc:evidence")) == sorted(hop["evidence"] or [])
        assert float(_value(component, "mlsc:confidence")) == hop["confidence"]


@pytest.mark.parametrize("model", EXPORTED)
def test_dependencies_hold_the_derivation_graph(
    kb: GraphStore, docs: dict[str, dict[str, Any]], model: str
) -> None:
    doc = docs[model]
    ref_of = {_model_id(c): c["bom-ref"] for c in [_subject(doc), *_ancestors(doc)]}
    depends = {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}
    models = set(ref_of.values())
    derived = {(c, p) for c, deps in depends.items() if c in models for p in deps if p in models}
    assert derived == {(ref_of[c], ref_of[p]) for c, p, *_ in _graph_edges(kb, model)}
    assert models <= set(depends), "every model has an entry, roots an empty one"
    known = set(_bom_refs(doc))
    assert all(r in known for d in doc["dependencies"] for r in [d["ref"], *d.get("dependsOn", [])])


def test_a_deep_chain_is_exported_to_its_root(docs: dict[str, dict[str, Any]]) -> None:
    ancestors = _ancestors(docs[DEEP])
    assert len(ancestors) == 14
    root = ancestors[-1]
    assert _model_id(root) == "meta-llama/Llama-3.1-8B"
    assert _value(root, "mlsc:depth") == "14"
    direct = [a for a in ancestors if _value(a, "mlsc:direct-parent") == "true"]
    assert [_model_id(a) for a in direct] == ["ferrite-ai/Evo-8B-g12"]
    assert _value(direct[0], "mlsc:relation") == "quantized"


def test_a_merge_of_merges_keeps_every_edge_into_a_shared_base(
    docs: dict[str, dict[str, Any]],
) -> None:
    doc = docs[MERGE_OF_MERGES]
    instruct = "meta-llama/Llama-3.1-8B-Instruct"
    assert [_model_id(a) for a in _ancestors(doc)].count(instruct) == 1
    into = {(c, r) for c, p, r, _, _ in _edges_of(doc) if p == instruct}
    assert into == {
        (MERGE_OF_MERGES, "merge"),
        ("bitsandbeans/Zephyrine-Vesper-8B-model-stock", "merge"),
        ("orbweaver/Aster-Tundra-8B-dare-ties", "merge"),
        ("northwind-ai/Northwind-8B-Chat", "finetune"),
    }
    merges = [a for a in _ancestors(doc) if _values(a, "mlsc:derived-from")]
    assert any(len(_values(a, "mlsc:derived-from")) >= 2 for a in merges)


def test_a_placeholder_base_says_its_record_was_not_ingested(
    docs: dict[str, dict[str, Any]],
) -> None:
    (gpt2,) = _ancestors(docs[ON_PLACEHOLDER])
    assert _model_id(gpt2) == "gpt2" and "group" not in gpt2 and "version" not in gpt2
    assert _value(gpt2, "mlsc:ingested") == "false"
    assert "not ingested" in _value(gpt2, "mlsc:placeholder")
    assert gpt2["purl"] == gpt2["bom-ref"] == "pkg:huggingface/gpt2"
    subject = _subject(docs["gpt2"])  # a placeholder can be exported itself
    assert _value(subject, "mlsc:ingested") == "false" and not _ancestors(docs["gpt2"])
    assert "mlsc:placeholder" not in {
        p["name"] for p in _subject(docs[ON_PLACEHOLDER])["properties"]
    }


@pytest.mark.timeout(60)
def test_a_lineage_cycle_is_exported_once_and_kept_as_a_cycle(
    kb: GraphStore, docs: dict[str, dict[str, Any]]
) -> None:
    doc = ml_bom(kb, IN_CYCLE, now=NOW)
    (other,) = _ancestors(doc)
    assert _model_id(other) == "loopwright/qwen-chat-v2"
    back = [json.loads(v) for v in _values(other, "mlsc:derived-from")]
    assert [e["parent"] for e in back] == [IN_CYCLE]
    cycles = [json.loads(v) for v in _values(_subject(doc), "mlsc:lineage-cycle")]
    assert cycles == [[IN_CYCLE, "loopwright/qwen-chat-v2"]]
    depends = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    me, it = _subject(doc)["bom-ref"], other["bom-ref"]
    assert it in depends[me] and me in depends[it]
    assert not _values(_subject(docs[DEEP]), "mlsc:lineage-cycle")


# ------------------------------------------------------------------------------------------
# Files, data sets, card, licences, identity


def test_files_carry_their_sha256(docs: dict[str, dict[str, Any]]) -> None:
    files = {c["name"]: c for c in docs[WITH_FILES]["components"] if c["type"] == "file"}
    assert set(files) == set(FILES)
    hashes = {n: [(h["alg"], h["content"]) for h in c.get("hashes", [])] for n, c in files.items()}
    assert hashes == {
        "model-00001-of-00002.safetensors": [("SHA-256", SHA_A)],
        "pytorch_model.bin": [("SHA-256", SHA_B.lower())],
        "README.md": [],
        "odd.bin": [],
    }
    assert _value(files["odd.bin"], "mlsc:sha256") == "deadbeef"  # kept, but not as a hash
    assert _value(files["pytorch_model.bin"], "mlsc:pickle") == "true"
    assert _value(files["pytorch_model.bin"], "mlsc:size") == "1001"
    assert files["README.md"]["bom-ref"] == f"mlsc:file:{WITH_FILES}/README.md"
    sha = _subject(docs[WITH_FILES])["version"]
    assert files["README.md"]["externalReferences"] == [
        {
            "type": "distribution",
            "url": f"https://huggingface.co/{WITH_FILES}/resolve/{sha}/README.md",
        }
    ]


def test_datasets_are_data_components_the_card_refers_to(
    kb: GraphStore, docs: dict[str, dict[str, Any]]
) -> None:
    doc = docs[WITH_FILES]
    expected = sorted(
        r[0]
        for r in kb.cypher(
            "MATCH (:Model {id: $id})-[:TRAINED_ON]->(d:Dataset) RETURN d.id", {"id": WITH_FILES}
        ).rows
    )
    assert len(expected) == 3
    data = [c for c in doc["components"] if c["type"] == "data"]
    assert sorted(_model_id(c) for c in data) == expected
    for component in data:
        (entry,) = component["data"]
        url = f"https://huggingface.co/datasets/{_model_id(component)}"
        assert entry == {"type": "dataset", "name": _model_id(component), "contents": {"url": url}}
        assert component["externalReferences"] == [{"type": "website", "url": url}]
    card_refs = [d["ref"] for d in _subject(doc)["modelCard"]["modelParameters"]["datasets"]]
    assert sorted(card_refs) == sorted(c["bom-ref"] for c in data)
    (entry,) = [d for d in doc["dependencies"] if d["ref"] == _subject(doc)["bom-ref"]]
    assert set(card_refs) <= set(entry["dependsOn"])


def test_the_model_card_has_the_fields_we_know(
    kb: GraphStore, docs: dict[str, dict[str, Any]]
) -> None:
    node = kb.node("Model", WITH_FILES)
    assert node is not None and node["pipeline_tag"] and node["model_type"]
    params = _subject(docs[WITH_FILES])["modelCard"]["modelParameters"]
    assert params["task"] == node["pipeline_tag"]
    assert params["architectureFamily"] == node["model_type"]
    assert params["modelArchitecture"] == ", ".join(node["architectures"])
    for ancestor in _ancestors(docs[WITH_FILES]):
        parent = kb.node("Model", _model_id(ancestor))
        assert parent is not None
        assert ancestor["modelCard"]["modelParameters"]["task"] == parent["pipeline_tag"]


def test_properties_carry_what_has_no_native_field(
    kb: GraphStore, docs: dict[str, dict[str, Any]]
) -> None:
    node = kb.node("Model", DEEP)
    assert node is not None
    subject = _subject(docs[DEEP])
    for name in ("hub", "gated", "created_at", "last_modified", "source", "observed_at"):
        assert _value(subject, f"mlsc:{name}") == node[name]
    assert _value(subject, "mlsc:downloads") == str(node["downloads"])
    assert _value(subject, "mlsc:likes") == str(node["likes"])
    assert _value(subject, "mlsc:ingested") == "true"
    assert _value(subject, "mlsc:private") == "false"


def test_licences_are_spdx_ids_where_they_are_one(docs: dict[str, dict[str, Any]]) -> None:
    def licences(model: str) -> list[dict[str, Any]]:
        return list(_subject(docs[model])["licenses"])

    assert licences(DEEP) == [{"license": {"acknowledgement": "declared", "name": "llama3.1"}}]
    assert licences(EXPRESSION) == [
        {"acknowledgement": "declared", "expression": "MIT OR Apache-2.0"}
    ]
    assert sorted(json.dumps(x, sort_keys=True) for x in licences(HOSTILE_BASE)) == sorted(
        json.dumps({"license": x}, sort_keys=True)
        for x in [
            {"acknowledgement": "declared", "id": "MIT"},
            {"acknowledgement": "declared", "name": "<script>"},
            {"acknowledgement": "declared", "name": "Apache-2.0 OR MIT"},
        ]
    )


def test_an_spdx_licence_is_written_as_its_id(kb: GraphStore) -> None:
    (row,) = kb.cypher(
        "MATCH (m:Model) WHERE m.license = 'apache-2.0' RETURN m.id ORDER BY m.id LIMIT 1"
    ).rows
    subject = _subject(ml_bom(kb, row[0], now=NOW))
    assert subject["licenses"] == [{"license": {"acknowledgement": "declared", "id": "Apache-2.0"}}]
    assert _value(subject, "mlsc:license") == "apache-2.0"


def test_identity_purl_supplier_and_links(kb: GraphStore, docs: dict[str, dict[str, Any]]) -> None:
    node = kb.node("Model", DEEP)
    assert node is not None
    subject = _subject(docs[DEEP])
    purl = PackageURL.from_string(subject["purl"])
    assert (purl.type, purl.namespace, purl.name, purl.version) == (
        "huggingface",
        "quantlab",
        "Evo-8B-g12-GGUF",
        node["sha"],
    )
    assert subject["bom-ref"] == subject["purl"]
    assert (subject["group"], subject["name"], subject["version"]) == (
        "quantlab",
        "Evo-8B-g12-GGUF",
        node["sha"],
    )
    assert subject["supplier"] == {"name": "quantlab", "url": ["https://huggingface.co/quantlab"]}
    assert subject["publisher"] == "quantlab"
    assert {"type": "website", "url": f"https://huggingface.co/{DEEP}"} in subject[
        "externalReferences"
    ]


def test_metadata_timestamp_and_tools(docs: dict[str, dict[str, Any]]) -> None:
    metadata = docs[DEEP]["metadata"]
    assert datetime.fromisoformat(metadata["timestamp"]) == NOW
    tools = {t["name"]: t for t in metadata["tools"]["components"]}
    assert tools["mlsc"]["version"] == version("mlsc")
    assert tools["cyclonedx-python-lib"]["version"] == version("cyclonedx-python-lib")


def test_output_is_deterministic_for_a_fixed_now(kb: GraphStore) -> None:
    first = ml_bom_json(kb, MERGE_OF_MERGES, now=NOW)
    assert ml_bom_json(kb, MERGE_OF_MERGES, now=NOW) == first
    later = ml_bom_json(kb, MERGE_OF_MERGES, now=NOW + timedelta(seconds=1))
    assert later != first
    serials = {json.loads(t)["serialNumber"] for t in (first, later)}
    assert len(serials) == 2
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", s) for s in serials)
    assert json.loads(first) == ml_bom(kb, MERGE_OF_MERGES, now=NOW)


def test_without_now_the_timestamp_is_the_current_time(kb: GraphStore) -> None:
    before = datetime.now(UTC)
    doc = ml_bom(kb, IN_CYCLE)
    stamp = datetime.fromisoformat(doc["metadata"]["timestamp"])
    assert before <= stamp <= datetime.now(UTC)
    assert _errors(doc) is None


def test_an_unknown_model_is_not_found(kb: GraphStore) -> None:
    with pytest.raises(NotFoundError) as caught:
        ml_bom(kb, "quantlab/Evo-8B-g12-GGUFF")
    assert caught.value.name == "quantlab/Evo-8B-g12-GGUFF"
    assert DEEP in caught.value.suggestions


# ------------------------------------------------------------------------------------------
# Hostile strings


def test_hostile_strings_survive_as_data(kb: GraphStore, docs: dict[str, dict[str, Any]]) -> None:
    text = ml_bom_json(kb, HOSTILE, now=NOW)
    doc = json.loads(text)
    assert doc == docs[HOSTILE]
    assert text.isascii()
    assert _errors(doc) is None
    subject = _subject(doc)
    assert _model_id(subject) == HOSTILE
    assert subject["licenses"] == [
        {"license": {"acknowledgement": "declared", "name": HOSTILE_LICENSE}}
    ]
    assert _value(subject, "mlsc:license") == HOSTILE_LICENSE
    params = subject["modelCard"]["modelParameters"]
    assert params["task"] == HOSTILE_TASK
    assert params["architectureFamily"] == "llama\"'<>"
    assert params["modelArchitecture"] == '<script>alert(6)</script>, A"B'
    assert _values(subject, "mlsc:aliases") == ['evil-org/"old"']
    assert json.loads(_value(subject, "mlsc:security_status"))["filesWithIssues"] == ['a"b']
    assert subject["supplier"]["name"] == 'evil"org<'
    assert (_value(subject, "mlsc:owner-kind"), _value(subject, "mlsc:owner-verified")) == (
        "org",
        "false",
    )
    assert subject["supplier"]["url"] == ["https://huggingface.co/evil%22org%3C"]
    # not a valid Hub id: no package URL, a bom-ref of our own
    assert "purl" not in subject
    assert subject["bom-ref"] == f"mlsc:model:huggingface:{HOSTILE}"
    assert subject["version"] == '<b>"not a sha"</b>'
    links = {(r["type"], r["url"]) for r in subject["externalReferences"]}
    assert ("vcs", "https://github.com/evil-org/repo") in links
    assert not any("javascript" in url for _, url in links)
    assert _values(subject, "mlsc:code_links") == [
        "https://github.com/evil-org/repo",
        "javascript:alert(7)",
    ]
    (base, grand, *_) = _ancestors(doc)
    assert _model_id(base) == HOSTILE_BASE and _model_id(grand) == "mallory/innocent-finetune"
    assert _values(base, "mlsc:evidence") == [HOSTILE_EVIDENCE]
    assert json.loads(_value(base, "mlsc:derived-from"))["evidence"] == ['"><i>']
    assert base["purl"] == "pkg:huggingface/evil-org/plain-base"  # the sha is not hex
    assert grand["licenses"] == [
        {"license": {"acknowledgement": "declared", "name": "<img src=x onerror=alert(1)>"}}
    ]
    (data,) = [c for c in doc["components"] if c["type"] == "data"]
    assert _model_id(data) == HOSTILE_DATASET
    assert data["data"][0]["contents"]["url"] == (
        "https://huggingface.co/datasets/evil-data/%22%3E%3Csvg%20onload%3Dalert%283%29%3E"
    )
    (file,) = [c for c in doc["components"] if c["type"] == "file"]
    assert file["name"] == HOSTILE_PATH and "hashes" not in file
    assert _value(file, "mlsc:sha256") == '"><script>'
    (link,) = file["externalReferences"]
    assert "#" not in link["url"] and "%zz" not in link["url"] and "<" not in link["url"]
