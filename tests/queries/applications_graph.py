"""A hub lineage with the applications that load it, as one write batch: what the tests of
blast radius into applications (both stores, the CLI and the HTML page) build on.

meta/base is the root; org/ft1 fine-tunes it and org/ft2 fine-tunes org/ft1; q/base-gguf
quantizes it; a/lora is an adapter on it; m/merge merges org/ft1 with x/other. Applications
pin old and new commits (solo/model is loaded by none), a commit the knowledge base does not hold, a tag, nothing, and one
is a PeaTMOSS link (pinning unknown).
"""

from __future__ import annotations

from mlsc.graph.records import EdgeRecord, GraphBatch, NodeRecord
from tests.graph.builders import PROV, lineage_batch

BASE_OLD = "0" * 39 + "1"
"""meta/base, authored 2025-01-10 (a hub commit: author time only)."""
BASE_NEW = "e" * 40
"""meta/base, committed 2026-11-20: the push of a compromise."""
FT_OLD = "f" * 40
"""org/ft1, committed 2025-06-01."""
LORA_OLD = "1" * 40
"""a/lora, committed 2025-03-01."""
GHOST = "d" * 40
"""A sha no model in the knowledge base holds."""
SINCE = "2026-11-01"

LINEAGE = [
    ("org/ft1", "meta/base", "finetune"),
    ("org/ft2", "org/ft1", "finetune"),
    ("q/base-gguf", "meta/base", "quantized"),
    ("a/lora", "meta/base", "adapter"),
    ("m/merge", "org/ft1", "merge"),
    ("m/merge", "x/other", "merge"),
    ("z/leaf", "z/root", "finetune"),
]

# application, model, revision, revision_kind, pinned, file, line, evidence
USES: list[tuple[str, str, str | None, str | None, bool | None, str | None, int | None, str]] = [
    ("github.com/acme/chat", "meta/base", BASE_OLD, "commit", True, "app.py", 12, "python"),
    ("github.com/acme/chat", "org/ft1", FT_OLD, "commit", True, "serve.py", 3, "python"),
    ("github.com/acme/fresh", "meta/base", BASE_NEW, "commit", True, "main.py", 7, "python"),
    ("github.com/beta/search", "org/ft2", None, "none", False, "index.py", 40, "python"),
    ("github.com/beta/tagged", "q/base-gguf", "v1.0", "tag", False, "cfg.yaml", 2, "yaml"),
    ("github.com/peat/mapped", "m/merge", None, None, None, None, None, "peatmoss"),
    ("github.com/gamma/lora-app", "a/lora", LORA_OLD, "commit", True, "nb.ipynb", 5, "notebook"),
    ("github.com/delta/ghost", "meta/base", GHOST, "commit", True, "run.py", 9, "python"),
    ("github.com/other/app", "z/leaf", None, "none", False, "x.py", 1, "python"),
]


def applications_batch() -> GraphBatch:
    """The lineage, the commits and the applications' ``USES_MODEL`` edges."""
    batch = lineage_batch(LINEAGE, extra=["solo/model"])
    nodes = list(batch.nodes)
    edges = list(batch.edges)
    for sha, model, at in (
        (BASE_OLD, "meta/base", {"authored_at": "2025-01-10T00:00:00.000Z"}),
        (BASE_NEW, "meta/base", {"committed_at": "2026-11-20T09:30:00.000Z"}),
        (FT_OLD, "org/ft1", {"committed_at": "2025-06-01T00:00:00.000Z"}),
        (LORA_OLD, "a/lora", {"committed_at": "2025-03-01T00:00:00.000Z"}),
    ):
        nodes.append(NodeRecord("Commit", sha, {"repo": model, "sha": sha, **at, **PROV}))
        edges.append(EdgeRecord("HAS_COMMIT", "Model", model, "Commit", sha, PROV))
    nodes.append(NodeRecord("Actor", "mallory", {"kind": "user", **PROV}))
    edges.append(
        EdgeRecord("AUTHORED", "Actor", "mallory", "Commit", BASE_NEW, {"role": "author", **PROV})
    )
    for app in dict.fromkeys(u[0] for u in USES):
        nodes.append(NodeRecord("CodeRepository", app, {"host": "github.com", **PROV}))
    for app, model, revision, kind, pinned, file, line, evidence in USES:
        props = {
            "revision": revision,
            "revision_kind": kind,
            "pinned": pinned,
            "file": file,
            "line": line,
            "references": 1,
            "evidence": [evidence],
            "confidence": 1.0 if evidence != "peatmoss" else 0.8,
            **PROV,
        }
        edges.append(EdgeRecord("USES_MODEL", "CodeRepository", app, "Model", model, props))
    return GraphBatch(nodes, edges)
