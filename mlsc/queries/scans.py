"""What the knowledge base already says about a model a local scan looks at: the files other
sources recorded (with the hub's hashes) and the hub's own scanner verdicts, so a scan can be
recorded beside them and never reports less than the hub did.

    >>> with open_store() as store:                                    # doctest: +SKIP
    ...     ctx = scan_context(store, "org/bert")
    ...     ctx.hub_verdicts        # {"pytorch_model.bin": "critical"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from mlsc.graph import reads
from mlsc.graph.store import GraphStore
from mlsc.queries.core import require_node
from mlsc.queries.results import JsonFields

HubStatus = Literal["critical", "warning", "info"]

HUB_LEVELS: dict[str, HubStatus] = {
    "unsafe": "critical",
    "dangerous": "critical",
    "error": "critical",
    "malicious": "critical",
    "suspicious": "warning",
    "caution": "warning",
    "warning": "warning",
    "info": "info",
    "innocuous": "info",
    "safe": "info",
}
"""The hub scanner's per-file levels in mlsc's terms; a level not listed here counts as a
``warning`` (an unknown verdict of a peer is never read as safe)."""


def hub_file_verdicts(security_status: str | None) -> dict[str, HubStatus]:
    """Per file path, what the hub's scanners said (``securityRepoStatus.filesWithIssues``
    as the crawl stored it); empty when the hub said nothing or the text is not JSON."""
    if not security_status:
        return {}
    try:
        data: Any = orjson.loads(security_status)
    except orjson.JSONDecodeError:
        return {}
    found: dict[str, HubStatus] = {}
    issues = data.get("filesWithIssues") if isinstance(data, dict) else None
    for item in issues if isinstance(issues, list) else ():
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            level = str(item.get("level", "")).lower()
            found[item["path"]] = HUB_LEVELS.get(level, "warning")
        elif isinstance(item, str):
            found[item] = "warning"
    return found


@dataclass(frozen=True)
class ScanContext:
    """What other sources recorded about a model's files."""

    model: str
    files: Mapping[str, str | None]
    """File key (``<model>/<path>``) -> the hash another source recorded (None if none)."""
    hub_verdicts: Mapping[str, HubStatus]
    """File path -> the hub scanner's verdict, for the files it flagged."""


def scan_context(store: GraphStore, model: str) -> ScanContext:
    """The stored files and hub verdicts of ``model``; raises :class:`NotFoundError` (with
    the closest ids) when the model is not in the knowledge base."""
    require_node(store, "Model", model)
    rows = reads.file_hashes(store, model)
    node = store.node("Model", model) or {}
    return ScanContext(
        model,
        {str(key): sha for key, sha in rows},
        hub_file_verdicts(node.get("security_status")),
    )


@dataclass(frozen=True)
class Disagreement(JsonFields):
    """Where a local scan and what another source recorded do not agree."""

    path: str
    kind: Literal["hub-verdict", "hash"]
    detail: str
    status: Literal["critical", "warning"]
    """The least status the file gets from it (a peer's verdict is never lowered)."""


_RANK = {"skipped": 0, "clean": 0, "info": 0, "warning": 1, "unparseable": 1, "critical": 2}


def disagreements(
    context: ScanContext, scanned: Mapping[str, tuple[str | None, str]]
) -> tuple[Disagreement, ...]:
    """Compare a scan (path -> (sha256, status)) with what the knowledge base holds: a hub
    verdict worse than the scan's, and a local file whose bytes differ from the hub's."""
    found: list[Disagreement] = []
    for path, (sha256, status) in sorted(scanned.items()):
        hub = context.hub_verdicts.get(path)
        if hub in ("critical", "warning") and _RANK[hub] > _RANK.get(status, 0):
            found.append(
                Disagreement(
                    path, "hub-verdict", f"the hub's scanner rates it {hub}; mlsc: {status}", hub
                )
            )
        stored = context.files.get(f"{context.model}/{path}")
        if stored and sha256 and stored != sha256:
            found.append(
                Disagreement(
                    path,
                    "hash",
                    f"local bytes (sha256 {sha256[:12]}…) differ from the hub's ({stored[:12]}…)",
                    "warning",
                )
            )
    return tuple(found)
