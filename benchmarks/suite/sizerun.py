"""One size of the benchmark (``SizeRun``): its input, its phases in order, and the checks
and verdicts they record. Each phase is a function of the run in its own module."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.suite.ingest import ingest_phase
from benchmarks.suite.measure import Json
from benchmarks.suite.merge_heavy import merge_heavy_queries
from benchmarks.suite.neo4j_bench import Neo4jOptions, run_neo4j
from benchmarks.suite.queries import queries
from benchmarks.suite.report import Row, say
from benchmarks.suite.targets import PATH_TIMEOUT, TARGET_N


@dataclass
class SizeRun:
    n: int
    out: Path
    seed: int
    reuse: bool
    neo4j: Neo4jOptions | None = None
    """Run the workload on a private Neo4j too (None: embedded only)."""
    merge_heavy: bool = False
    """hubgen's merge-heavy variant instead of the hub-shaped default."""
    result: Json = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    neo4j_rows: list[Row] = field(default_factory=list)
    path_timeout: float = PATH_TIMEOUT
    paths_summary: Json | None = None
    igraph_base: Any = None
    """The igraph baseline once loaded (False: igraph is not installed)."""

    @property
    def judged(self) -> bool:
        return self.n == TARGET_N and not self.merge_heavy

    @property
    def label(self) -> str:
        """How progress messages name this size."""
        return f"merge-heavy {self.n:,}" if self.merge_heavy else f"{self.n:,}"

    @property
    def stem(self) -> str:
        """How this size's files are named in OUT."""
        return f"merge-heavy-{self.n}" if self.merge_heavy else str(self.n)

    def verdict(self, name: str, ok: bool | None) -> str:
        if ok is None:
            return ""
        self.result.setdefault("verdicts", {})[name] = (
            ("PASS" if ok else "MISS") if self.judged else None
        )
        if not self.judged:
            return "(pass)" if ok else "(miss)"
        return "PASS" if ok else "MISS"

    def check(self, name: str, ours: Any, theirs: Any) -> str:
        ok = ours == theirs
        self.result.setdefault("checks", {})[name] = {
            "ok": ok,
            "mlsc": ours,
            "networkx": theirs,
        }
        return "OK" if ok else "MISMATCH"

    def generate(self) -> Json:
        from benchmarks.hubgen import write

        jsonl = self.out / f"hubgen-{self.stem}.jsonl"
        meta = self.out / f"hubgen-{self.stem}.stats.json"
        if self.reuse and jsonl.exists() and meta.exists():
            stats: Json = json.loads(meta.read_text())
            if (
                stats.get("seed") == self.seed
                and stats.get("models") == self.n
                and stats.get("merge_heavy", False) == self.merge_heavy
            ):
                stats["reused"] = True
                return stats
        started = time.perf_counter()
        stats = write(self.n, jsonl, seed=self.seed, merge_heavy=self.merge_heavy).to_json()
        stats["seconds"] = time.perf_counter() - started
        stats["file"] = str(jsonl)
        stats["bytes"] = jsonl.stat().st_size
        meta.write_text(json.dumps(stats, indent=2))
        stats["reused"] = False
        return stats

    def run(self) -> Json:
        """Generate, ingest, then the queries (hub-shaped or merge-heavy) and Neo4j; every
        figure in ``result``, the rows to print in ``rows`` and ``neo4j_rows``."""
        res = self.result
        res["n"] = self.n
        res["errors"] = []
        self.out.mkdir(parents=True, exist_ok=True)
        db = self.out / f"kb-{self.stem}"
        say(f"[{self.label}] generating ...")
        gen = res["generation"] = self.generate()
        jsonl = Path(gen["file"])
        if ingest_phase(self, jsonl, db, gen) is None:
            return res

        if self.merge_heavy:
            merge_heavy_queries(self, jsonl, db, gen)
        else:
            queries(self, jsonl, db, gen)
        if self.neo4j is not None and "subjects" in res:
            try:
                run_neo4j(self, jsonl, db, gen, self.neo4j)
            except Exception as exc:
                res["errors"].append(f"neo4j: {type(exc).__name__}: {exc}")
                say(f"[{self.label}] Neo4j FAILED: {type(exc).__name__}: {exc}")
        return res
