"""The documentation is executable: every documented query runs on the sample, and the graph
model page matches ``mlsc/graph/schema.py``.

docs/cypher.md: each ```cypher block, preceded by ``<!-- params: {...} -->``, must run
read-only on the sample snapshot and return rows; the blast-radius, lineage, reach, owner,
placeholder and cycle queries must agree with what ``mlsc.queries`` answers. ```cypher-pending
blocks (labels no ingester fills yet) must run; ```cypher-neo4j blocks only need parameters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlsc.graph import schema
from mlsc.graph.algorithms import cycles as find_cycles
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.store import CypherResult
from mlsc.ingest.hub.snapshot import ingest_snapshot
from mlsc.queries import core
from mlsc.queries.scorecard import Scorecard
from tests.conftest import REPO, SAMPLE

DOCS = REPO / "docs"
CYPHER_MD = DOCS / "cypher.md"
MODEL_MD = DOCS / "graph-model.md"

FENCE = re.compile(r"^```([\w-]*)\s*$")
PARAMS = re.compile(r"^<!--\s*params:\s*(\{.*\})\s*-->\s*$")
HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*$")
QUERY_LANGUAGES = ("cypher", "cypher-neo4j", "cypher-pending")


@dataclass(frozen=True)
class Block:
    """One fenced query of docs/cypher.md."""

    name: str
    """The heading it sits under ("Section / Subsection"), numbered if a heading has several."""
    language: str
    query: str
    params: dict[str, Any] | None
    """The JSON of the params comment right above the fence; None when there is none."""
    line: int


def parse_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    section = subsection = ""
    seen: Counter[tuple[str, str]] = Counter()
    i = 0
    while i < len(lines):
        heading = HEADING.match(lines[i])
        if heading:
            if len(heading.group(1)) == 2:
                section, subsection = heading.group(2), ""
            else:
                subsection = heading.group(2)
        fence = FENCE.match(lines[i])
        if not fence or not fence.group(1):
            i += 1
            continue
        language, start = fence.group(1), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if language not in QUERY_LANGUAGES:
            continue
        match = PARAMS.match(lines[start - 1]) if start else None
        name = f"{section} / {subsection}" if subsection else section
        seen[(name, language)] += 1
        if seen[(name, language)] > 1:
            name = f"{name} ({seen[(name, language)]})"
        params = json.loads(match.group(1)) if match else None
        blocks.append(Block(name, language, "\n".join(body), params, start + 1))
    return blocks


BLOCKS = parse_blocks(CYPHER_MD)


def blocks_of(language: str) -> list[Block]:
    return [b for b in BLOCKS if b.language == language]


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadybugStore]:
    store = LadybugStore(tmp_path_factory.mktemp("docs") / "kb")
    ingest_snapshot(store, SAMPLE)
    yield store
    store.close()


# -- what the documented queries must agree with ------------------------------------------

Check = Callable[[LadybugStore, dict[str, Any], list[dict[str, Any]]], None]


def _descendants(br: Any) -> list[tuple[str, int]]:
    return [(a.id, a.depth) for a in br.affected if a.depth > 0]


def check_model_blast_radius(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    br = core.blast_radius(store, params["id"], kind="model")
    assert [(r["id"], r["depth"]) for r in rows] == _descendants(br)


def check_actor_blast_radius(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    br = core.blast_radius(store, params["actor"], kind="actor")
    assert [(r["id"], r["depth"]) for r in rows] == _descendants(br)


def _two_step_actor() -> str:
    (first,) = [
        b for b in blocks_of("cypher") if b.name == "Blast radius of an organisation / In two steps"
    ]
    assert first.params is not None
    return str(first.params["actor"])


def check_actor_seeds(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    br = core.blast_radius(store, params["actor"], kind="actor")
    assert [sorted(r["ids"]) for r in rows] == [list(br.seeds)]


def check_two_step_descendants(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    br = core.blast_radius(store, _two_step_actor(), kind="actor")
    assert sorted(params["ids"]) == list(br.seeds), "the documented ids are the first step's"
    assert [(r["id"], r["depth"]) for r in rows] == _descendants(br)


def check_reach(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    reach = core.reach(store, params["actor"])
    assert [(r["direct"], r["transitive"], r["total"], r["organisations"]) for r in rows] == [
        (reach.direct, reach.transitive, reach.total, list(reach.organisations))
    ]


def check_ancestors(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    lineage = core.lineage(store, params["id"])
    expected = sorted((a.id, a.depth, a.author, a.ingested) for a in lineage.ancestors)
    got = sorted((r["id"], r["depth"], r["owner"], r["on_hub"]) for r in rows)
    assert got == expected


def check_placeholders(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    placeholders = {r["placeholder"] for r in rows}
    assert placeholders == {
        r[0] for r in store.cypher("MATCH (m:Model) WHERE m.ingested = false RETURN m.id").rows
    }
    for placeholder in placeholders:
        br = core.blast_radius(store, placeholder, kind="model")
        got = [(r["model"], r["depth"]) for r in rows if r["placeholder"] == placeholder]
        assert sorted(got, key=lambda x: (x[1], x[0])) == sorted(
            _descendants(br), key=lambda x: (x[1], x[0])
        )


def check_owners(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    br = core.blast_radius(store, params["id"], kind="model")
    affected = [a for a in br.affected if a.depth > 0]
    assert {r["owner"]: r["models"] for r in rows} == Counter(a.owner for a in affected)
    assert {r["owner"] for r in rows} - {None} <= set(br.owners)


def check_cycles(store: LadybugStore, params: dict[str, Any], rows: list) -> None:
    members = {m for cycle in find_cycles(store.derivation_edges()) for m in cycle}
    assert {r["model"] for r in rows} == members
    for row in rows:
        assert core.lineage(store, row["model"]).cycles, row["model"]


CHECKS: dict[str, Check] = {
    "Blast radius of a model": check_model_blast_radius,
    "Blast radius of an organisation / In one query": check_actor_blast_radius,
    "Blast radius of an organisation / In two steps": check_actor_seeds,
    "Blast radius of an organisation / In two steps (2)": check_two_step_descendants,
    "Maintainer reach": check_reach,
    "Ancestors of a model": check_ancestors,
    "Lineage through a placeholder": check_placeholders,
    "Owners to notify for a compromised base": check_owners,
    "Lineage cycles": check_cycles,
    "Lineage cycles (2)": check_cycles,
}


def run(store: LadybugStore, block: Block) -> tuple[CypherResult, list[dict[str, Any]]]:
    assert block.params is not None, f"line {block.line}: no <!-- params: {{...}} --> above"
    result = store.cypher(block.query, block.params)
    return result, [dict(zip(result.columns, row, strict=True)) for row in result.rows]


# -- docs/cypher.md -----------------------------------------------------------------------


def test_cypher_doc_has_the_expected_queries() -> None:
    names = {b.name for b in blocks_of("cypher")}
    assert len(blocks_of("cypher")) >= 15
    assert set(CHECKS) <= names, f"checked queries missing from the doc: {set(CHECKS) - names}"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.language}: {b.name}" for b in BLOCKS])
def test_every_query_has_params(block: Block) -> None:
    assert block.params is not None, f"line {block.line}: no <!-- params: {{...}} --> above"
    for name in block.params:
        assert f"${name}" in block.query, f"line {block.line}: ${name} is never used"
    for name in re.findall(r"\$(\w+)", block.query):
        assert name in block.params, f"line {block.line}: ${name} has no value"


@pytest.mark.parametrize("block", blocks_of("cypher"), ids=lambda b: b.name)
def test_documented_query_runs_on_the_sample(sample_store: LadybugStore, block: Block) -> None:
    _, rows = run(sample_store, block)
    assert rows, f"line {block.line}: no rows on the sample; choose parameters that show some"
    check = CHECKS.get(block.name)
    if check is not None:
        check(sample_store, block.params or {}, rows)


@pytest.mark.parametrize("block", blocks_of("cypher-pending"), ids=lambda b: b.name)
def test_pending_query_is_valid(sample_store: LadybugStore, block: Block) -> None:
    result, _ = run(sample_store, block)
    assert result.columns


# -- docs/graph-model.md ------------------------------------------------------------------


def _model_doc() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


def _mermaid(text: str) -> str:
    found = re.search(r"^```mermaid\n(.*?)^```", text, re.S | re.M)
    assert found, "graph-model.md has no mermaid diagram"
    return found.group(1)


def test_model_doc_names_everything_in_the_schema() -> None:
    text = _model_doc()
    names = {n.label for n in schema.NODE_TYPES} | {e.type for e in schema.EDGE_TYPES}
    for node in schema.NODE_TYPES:
        names.update(node.columns)
    for edge in schema.EDGE_TYPES:
        names.update(name for name, _ in edge.properties)
    names.update(schema.RELATIONS)
    missing = sorted(n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
    assert not missing, f"graph-model.md does not mention {missing}"


def test_model_diagram_matches_the_schema() -> None:
    diagram = _mermaid(_model_doc())
    assert diagram.lstrip().startswith("erDiagram")
    entities: dict[str, dict[str, tuple[str, bool]]] = {}
    for label, body in re.findall(r"^\s*(\w+)\s*\{\n(.*?)^\s*\}", diagram, re.S | re.M):
        attrs = {}
        for line in body.strip().splitlines():
            ptype, name, *rest = line.split()
            attrs[name] = (ptype, bool(rest) and rest[0] == "PK")
        entities[label] = attrs
    expected = {
        n.label: {
            n.key: ("STRING", True),
            **{name: (ptype, False) for name, ptype in n.properties},
        }
        for n in schema.NODE_TYPES
    }
    assert entities == expected
    relationships = set(
        re.findall(
            r"^\s*(\w+)\s+[|}o]{2}(?:--|\.\.)[|{o]{2}\s+(\w+)\s*:\s*(\w+)\s*$", diagram, re.M
        )
    )
    assert relationships == {(a, b, e.type) for e in schema.EDGE_TYPES for a, b in e.pairs}


def test_relationship_table_matches_the_schema() -> None:
    text = _model_doc()
    for edge in schema.EDGE_TYPES:
        rows = [line for line in text.splitlines() if line.startswith(f"| `{edge.type}` |")]
        assert len(rows) == 1, f"no single table row for {edge.type}"
        cells = [c.strip() for c in rows[0].strip("|").split("|")]
        pairs = re.findall(r"`(\w+)` → `(\w+)`", cells[1])
        assert tuple(pairs) == edge.pairs, edge.type
        assert re.findall(r"`(\w+)`", cells[2]) == [name for name, _ in edge.properties]


# -- docs/scoring.md ---------------------------------------------------------------------

SCORING_MD = DOCS / "scoring.md"


def _worked_example(tmp_path: Path) -> Scorecard:
    """The scorecard of docs/scoring.md's worked example (shady/base of the scorecard tests)."""
    from mlsc.queries.scorecard import scorecard
    from tests.queries.test_scorecard import graph

    store = LadybugStore(tmp_path / "kb")
    try:
        store.write(graph())
        return scorecard(store, "shady/base")
    finally:
        store.close()


def test_scoring_lists_every_fact_of_every_cell(tmp_path: Path) -> None:
    """Every fact the code scores is in the table under its cell, and nothing else is."""
    documented: set[tuple[str, str]] = set()
    cell = ""
    for line in SCORING_MD.read_text(encoding="utf-8").split("## The facts")[1].splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) != 4 or cols[1] in ("fact", "---"):
            continue
        cell = cols[0] or cell
        documented.add((cell, cols[1].removesuffix(" (veto)")))
    card = _worked_example(tmp_path)
    coded = {(f"{c.principle} × {c.subject}", f.name) for c in card.cells for f in c.facts}
    assert documented == coded
    vetoes = {f.name for c in card.cells for f in c.facts if f.veto}
    text = SCORING_MD.read_text(encoding="utf-8")
    assert all(f"| {name} (veto) |" in text for name in vetoes)


def test_scoring_worked_example_gives_the_documented_numbers(tmp_path: Path) -> None:
    text = SCORING_MD.read_text(encoding="utf-8").split("## A worked example")[1]
    card = _worked_example(tmp_path)
    assert f"`known_cells` = **{card.known_cells}**" in text
    assert f"= **{card.overall_known:.3f}**" in text
    assert f"1.5 / 9 = **{card.overall:.3f}**" in text
    rows = {
        cols[0]: cols[2]
        for line in text.splitlines()
        if len(cols := [c.strip() for c in line.strip().strip("|").split("|")]) == 3
        and " × " in cols[0]
    }
    assert rows == {
        f"{c.principle} × {c.subject}": "unknown" if c.score is None else f"{c.score:g}"
        for c in card.cells
    }
