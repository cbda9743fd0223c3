"""The graph model, declared once: every store derives its DDL and its writes from this.

See docs/graph-model.md for the prose version and a diagram. Property types are the
portable subset both stores support: STRING, INT64, DOUBLE, BOOLEAN and STRING[].
Timestamps are ISO-8601 strings in UTC, which sort correctly as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PropType = Literal["STRING", "INT64", "DOUBLE", "BOOLEAN", "STRING[]"]

# Every node and edge carries these: where the fact came from and when it was observed.
PROVENANCE: tuple[tuple[str, PropType], ...] = (("source", "STRING"), ("observed_at", "STRING"))
PROVENANCE_NAMES = frozenset(name for name, _ in PROVENANCE)


@dataclass(frozen=True)
class NodeType:
    """A node label with its key and properties."""

    label: str
    """The label, e.g. ``Model``."""
    key: str
    """The property that identifies a node uniquely."""
    properties: tuple[tuple[str, PropType], ...]
    """Every property but the key, provenance included."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The key, then the properties, in declaration order."""
        return (self.key, *(name for name, _ in self.properties))


@dataclass(frozen=True)
class EdgeType:
    """A relationship type between two labels."""

    type: str
    """The relationship type, e.g. ``DERIVED_FROM``."""
    pairs: tuple[tuple[str, str], ...]
    """The (from label, to label) pairs it may connect."""
    properties: tuple[tuple[str, PropType], ...]
    """Its properties, provenance included."""


MODEL = NodeType(
    "Model",
    "id",
    (
        ("hub", "STRING"),
        ("author", "STRING"),
        ("sha", "STRING"),
        ("created_at", "STRING"),
        ("last_modified", "STRING"),
        ("downloads", "INT64"),
        ("likes", "INT64"),
        ("library", "STRING"),
        ("pipeline_tag", "STRING"),
        ("license", "STRING"),
        ("gated", "STRING"),
        ("private", "BOOLEAN"),
        ("model_type", "STRING"),
        ("architectures", "STRING[]"),
        ("ingested", "BOOLEAN"),
        ("aliases", "STRING[]"),
        ("security_status", "STRING"),
        ("removed", "BOOLEAN"),
        ("removed_at", "STRING"),
        ("code_links", "STRING[]"),
        ("signature_status", "STRING"),
        ("signature_detail", "STRING"),
        ("scan_status", "STRING"),
        ("scan_source", "STRING"),
        ("scanned_at", "STRING"),
        *PROVENANCE,
    ),
)
ACTOR = NodeType(
    "Actor",
    "name",
    (("hub", "STRING"), ("kind", "STRING"), ("verified", "BOOLEAN"), *PROVENANCE),
)
DATASET = NodeType("Dataset", "id", (("hub", "STRING"), *PROVENANCE))
COMMIT = NodeType(
    "Commit",
    "id",
    (
        ("repo", "STRING"),
        ("sha", "STRING"),
        ("title", "STRING"),
        ("authored_at", "STRING"),
        ("committed_at", "STRING"),
        ("author_name", "STRING"),
        ("author_email", "STRING"),
        ("committer_name", "STRING"),
        ("committer_email", "STRING"),
        ("signature", "STRING"),
        ("signature_key", "STRING"),
        ("verified", "BOOLEAN"),
        ("verification_reason", "STRING"),
        ("signer", "STRING"),
        ("parents", "STRING[]"),
        ("kinds", "STRING[]"),
        ("rewritten", "BOOLEAN"),
        *PROVENANCE,
    ),
)
FILE = NodeType(
    "File",
    "id",
    (
        ("repo", "STRING"),
        ("path", "STRING"),
        ("size", "INT64"),
        ("sha256", "STRING"),
        ("format", "STRING"),
        ("pickle", "BOOLEAN"),
        ("scan_status", "STRING"),
        ("scan_findings", "STRING[]"),
        ("scan_imports", "STRING[]"),
        ("scan_format", "STRING"),
        ("scan_pickle", "BOOLEAN"),
        ("scan_sha256", "STRING"),
        ("scan_source", "STRING"),
        ("scanned_at", "STRING"),
        ("chat_template_sha256", "STRING"),
        *PROVENANCE,
    ),
)
CODE_REPOSITORY = NodeType(
    "CodeRepository",
    "id",
    (
        ("host", "STRING"),
        ("url", "STRING"),
        ("default_branch", "STRING"),
        ("owner", "STRING"),
        ("stars", "INT64"),
        ("fork", "BOOLEAN"),
        ("archived", "BOOLEAN"),
        ("protected", "BOOLEAN"),
        ("protection", "STRING"),
        ("access_known", "BOOLEAN"),
        *PROVENANCE,
    ),
)

DERIVED_FROM = EdgeType(
    "DERIVED_FROM",
    (("Model", "Model"),),
    (("relation", "STRING"), ("evidence", "STRING[]"), ("confidence", "DOUBLE"), *PROVENANCE),
)
OWNS = EdgeType("OWNS", (("Actor", "Model"),), PROVENANCE)
MEMBER_OF = EdgeType("MEMBER_OF", (("Actor", "Actor"),), (("role", "STRING"), *PROVENANCE))
TRAINED_ON = EdgeType("TRAINED_ON", (("Model", "Dataset"),), PROVENANCE)
HAS_FILE = EdgeType("HAS_FILE", (("Model", "File"),), PROVENANCE)
HAS_COMMIT = EdgeType("HAS_COMMIT", (("Model", "Commit"), ("CodeRepository", "Commit")), PROVENANCE)
AUTHORED = EdgeType("AUTHORED", (("Actor", "Commit"),), (("role", "STRING"), *PROVENANCE))
USES_MODEL = EdgeType(
    "USES_MODEL",
    (("CodeRepository", "Model"),),
    (
        ("revision", "STRING"),
        ("revision_kind", "STRING"),
        ("pinned", "BOOLEAN"),
        ("file", "STRING"),
        ("line", "INT64"),
        ("references", "INT64"),
        ("evidence", "STRING[]"),
        ("confidence", "DOUBLE"),
        *PROVENANCE,
    ),
)
"""An application (a code repository or a local checkout) loads a model. One edge per
(application, model): ``revision``/``revision_kind``/``file``/``line`` describe its least
pinned reference, ``pinned`` is true only when every reference pins a commit (null when the
source cannot tell, as for PeaTMOSS links), ``references`` counts them."""
HAS_ACCESS = EdgeType(
    "HAS_ACCESS",
    (("Actor", "CodeRepository"),),
    (("permission", "STRING"), *PROVENANCE),
)
CONTRIBUTED = EdgeType(
    "CONTRIBUTED", (("Actor", "CodeRepository"),), (("contributions", "INT64"), *PROVENANCE)
)
CODE_AT = EdgeType(
    "CODE_AT", (("Model", "CodeRepository"),), (("evidence", "STRING[]"), *PROVENANCE)
)
TOUCHED = EdgeType(
    "TOUCHED", (("Commit", "File"),), (("change", "STRING"), ("kind", "STRING"), *PROVENANCE)
)

NODE_TYPES: tuple[NodeType, ...] = (MODEL, ACTOR, DATASET, COMMIT, FILE, CODE_REPOSITORY)
EDGE_TYPES: tuple[EdgeType, ...] = (
    DERIVED_FROM,
    OWNS,
    MEMBER_OF,
    TRAINED_ON,
    HAS_FILE,
    HAS_COMMIT,
    AUTHORED,
    USES_MODEL,
    TOUCHED,
    HAS_ACCESS,
    CONTRIBUTED,
    CODE_AT,
)
NODES = {n.label: n for n in NODE_TYPES}
EDGES = {e.type: e for e in EDGE_TYPES}

RELATIONS: tuple[str, ...] = (
    "finetune",
    "adapter",
    "quantized",
    "merge",
    "distill",
    "prune",
    "unknown",
)
"""The kinds of derivation a DERIVED_FROM edge can record."""
