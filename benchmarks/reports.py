"""Time the population reports (practices, signing, discrepancies) on a hub-sized store,
each beside the way mlsc computed it before (``reports_baseline.py``), in the same process,
and check that both give equal answers.

    python benchmarks/reports.py                       # 200k models, in benchmarks/out
    python benchmarks/reports.py --models 1000000 --out /tmp/bench --repeat 3

The store is made once and reused: ``hubgen.py`` models ingested with mlsc, then *enriched*
with the facts hubgen does not generate (deterministic for a seed): organisations with
verification known or not, members, files (pickle, GGUF/GGML, chat templates flagged or
not), commits of models and code repositories in every signing state, applications loading
models pinned or not, placeholder, removed and renamed bases, late bases, card/tag and
adapter disagreements and a few lineage cycles, so every figure and every kind of finding
has work to do. Prints, per report, the best of ``--repeat`` runs (wall and CPU) new and
old, their ratio, and whether the answers are equal (the dataclasses and their JSON).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import reports_baseline as old
from mlsc.graph.ladybug import LadybugStore
from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from mlsc.graph.store import GraphStore
from mlsc.queries.discrepancies import discrepancies
from mlsc.queries.practices import practices
from mlsc.queries.signing import signing_report

PROV = {"source": "bench", "observed_at": "2026-12-01T00:00:00.000Z"}
SIGNING = [  # (signature, verified, verification_reason): git, GitHub and the Hub's list
    (None, None, None), (None, None, None), (None, None, "none"), (None, False, "unsigned"),
    ("gpg", True, "good"), ("ssh", False, "bad"), ("gpg", True, "valid"), ("gpg", None, None),
]  # fmt: skip
FORMATS = ["safetensors", "bin", "gguf", "ggml", "onnx", None]


def build(models: int, out: Path, seed: int) -> Path:
    """The enriched store of ``models`` hubgen models in ``out`` (made if missing)."""
    db = out / f"kb-reports-{models}"
    if (db / "enriched").is_file():
        return db
    jsonl = out / f"hubgen-{models}.jsonl"
    if not jsonl.is_file():
        hubgen = Path(__file__).with_name("hubgen.py")
        subprocess.run(
            [sys.executable, str(hubgen), str(models), str(jsonl), "--seed", str(seed)], check=True
        )
    from mlsc.ingest.hub.snapshot import ingest_snapshot

    with LadybugStore(db) as store:
        ingest_snapshot(store, jsonl, observed_at=PROV["observed_at"])
        store.write(enrichment(store, seed))
    (db / "enriched").write_text("1\n")
    return db


def enrichment(store: GraphStore, seed: int) -> GraphBatch:
    """Facts beside hubgen's graph, drawn deterministically from ``seed``."""
    rng = random.Random(seed)
    ids = sorted(r[0] for r in store.read("MATCH (m:Model) RETURN m.id"))
    actors = sorted(store.read("MATCH (a:Actor) RETURN a.name, a.kind"))
    orgs = [a for i, (a, k) in enumerate(actors) if k == "org" or i % 10 == 0]
    users = [a for a, _ in actors if a not in set(orgs)]
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []

    def node(label: str, key: str, **props: Any) -> None:
        nodes.append(NodeRecord(label, key, {**props, **PROV}))

    def edge(etype: str, src: tuple[str, str], dst: tuple[str, str], **props: Any) -> None:
        edges.append(EdgeRecord(etype, src[0], src[1], dst[0], dst[1], {**props, **PROV}))

    for org in orgs:  # verification known for two thirds; members for half
        verified = rng.choice([True, False, None])
        node("Actor", org, kind="org", verified=verified)
        for member in rng.sample(users, rng.choice([0, 0, 1, 2, 4])):
            edge("MEMBER_OF", ("Actor", member), ("Actor", org))
    for name in ("github:acme", "git:someone"):
        node("Actor", name, kind="org", verified=True)
    for i, mid in enumerate(ids):
        if i % 3 == 0:  # files
            for j in range(rng.randint(1, 3)):
                fmt = rng.choice(FORMATS)
                props: dict[str, Any] = {"path": f"f{j}", "format": fmt,
                                         "pickle": rng.choice([True, False, None])}  # fmt: skip
                if rng.random() < 0.2:
                    props["chat_template_sha256"] = f"t{rng.randint(0, 6)}"
                    if rng.random() < 0.3:
                        props["scan_findings"] = ["critical template_exfil"]
                node("File", f"{mid}/f{j}", **props)
                edge("HAS_FILE", ("Model", mid), ("File", f"{mid}/f{j}"))
        if i % 4 == 0:  # commits
            for j in range(rng.randint(1, 5)):
                sig, ver, reason = rng.choice(SIGNING)
                at = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00.000Z"
                when = rng.choice(["committed_at", "authored_at", None])
                sha = f"{i:034x}{j:06x}"
                extra = {when: at} if when else {}
                node("Commit", sha, signature=sig, verified=ver, verification_reason=reason,
                     **extra)  # fmt: skip
                edge("HAS_COMMIT", ("Model", mid), ("Commit", sha))
                if i % 400 == 0:  # the same commit in a code repository too
                    repo = f"github.com/{rng.choice(['acme', 'other'])}/r{i % 7}"
                    node("CodeRepository", repo, host="github.com")
                    edge("HAS_COMMIT", ("CodeRepository", repo), ("Commit", sha))
        if i % 500 == 0:  # applications loading models
            app = f"github.com/apps/a{i % 997}"
            node("CodeRepository", app, host="github.com")
            edge("USES_MODEL", ("CodeRepository", app), ("Model", mid),
                 pinned=rng.choice([True, False, None]))  # fmt: skip
    for k in range(len(ids) // 1000):  # odd bases: placeholders, removed, renamed, late
        child, parent = rng.sample(ids, 2)
        kind = k % 6
        if kind == 0:
            ghost = f"ghost/base-{k}"
            nodes.append(NodeRecord("Model", ghost, {"ingested": False, **PROV}, True))
            edge("DERIVED_FROM", ("Model", child), ("Model", ghost), relation="finetune",
                 evidence=["card:base_model"], confidence=1.0)  # fmt: skip
        elif kind == 1:
            node("Model", parent, removed=True, aliases=[f"old/{k}"])
            edge("DERIVED_FROM", ("Model", child), ("Model", parent), relation="finetune",
                 evidence=[f"card:base_model=old/{k} (renamed)"], confidence=1.0)  # fmt: skip
        elif kind == 2:
            node("Model", child, created_at="2019-01-01T00:00:00.000Z")
        elif kind == 3:
            edge("DERIVED_FROM", ("Model", child), ("Model", parent), relation="quantized",
                 confidence=0.6, evidence=["files:gguf", "card:base_model_relation=finetune",
                                           "tag:base_model:quantized"])  # fmt: skip
        elif kind == 4:
            edge("DERIVED_FROM", ("Model", child), ("Model", parent), relation="adapter",
                 confidence=0.5, evidence=["files:adapter", "adapter_config:"
                                           f"base_model_name_or_path=z/{k} (differs)"])  # fmt: skip
        else:
            node("Model", child, gated="auto", hub=rng.choice(["huggingface", "modelscope"]))
    for child, parent in store.read(  # three lineage cycles: an edge back from a base
        "MATCH (c:Model)-[:DERIVED_FROM]->(p:Model) RETURN c.id, p.id ORDER BY c.id LIMIT 3"
    ):
        edge("DERIVED_FROM", ("Model", parent), ("Model", child), relation="merge",
             evidence=["config:merge"], confidence=0.9)  # fmt: skip
    return GraphBatch(nodes, edges)


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(min wall seconds, min CPU seconds, the last answer) of ``repeat`` runs."""
    walls, cpus, answer = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--author", default=None, help="Also time the reports of this owner.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = build(args.models, args.out, args.seed)
    cases: list[tuple[str, Callable[[GraphStore], Any], Callable[[GraphStore], Any]]] = [
        ("practices", practices, old.practices),
        ("signing", signing_report, old.signing_report),
        ("discrepancies", discrepancies, old.discrepancies),
    ]
    if args.author:
        a = args.author
        cases += [
            (f"practices {a}", lambda s: practices(s, author=a),
             lambda s: old.practices(s, author=a)),
            (f"signing {a}", lambda s: signing_report(s, author=a),
             lambda s: old.signing_report(s, author=a)),
        ]  # fmt: skip
    results = []
    with LadybugStore(db, read_only=True) as store:
        print(f"store {db}: {store.counts()['Model']} models", file=sys.stderr)
        for name, new_fn, old_fn in cases:
            new_wall, new_cpu, new = best(lambda f=new_fn: f(store), args.repeat)
            old_wall, old_cpu, was = best(lambda f=old_fn: f(store), args.repeat)
            equal = new == was and new.to_json() == was.to_json()
            results.append({
                "report": name, "new_wall": new_wall, "new_cpu": new_cpu,
                "old_wall": old_wall, "old_cpu": old_cpu, "equal": equal,
            })  # fmt: skip
            print(
                f"{name:<22} new {new_wall:7.3f} s (cpu {new_cpu:6.3f})  "
                f"old {old_wall:7.3f} s (cpu {old_cpu:6.3f})  "
                f"old/new cpu {old_cpu / max(new_cpu, 1e-9):6.1f}x  "
                f"{'equal' if equal else 'DIFFERENT'}"
            )
    print(json.dumps(results))
    if not all(r["equal"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
