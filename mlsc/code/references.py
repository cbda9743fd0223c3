"""What a reader of application code finds: references to models on a hub.

    >>> ref = ModelReference("app.py", 3, "bert-base-uncased", None, "none",
    ...                      "from_pretrained", "python", 1.0)
    >>> ref.pinned, ref.hub
    (False, 'huggingface')

A reference is a place in code (or a config file, or a notebook cell) that makes a loader
fetch a model from a hub. Records are plain frozen dataclasses so the graph (``mlsc ingest
code``) and the audit (``mlsc audit``) read the same facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RevisionKind = Literal["commit", "tag", "branch", "none"]
"""``commit``: a 40-hex sha, pinned. ``tag``/``branch``: a name, not pinned (a tag can be
moved). ``none``: no revision given, so the loader takes the default branch: not pinned."""

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")


def revision_kind(revision: str | None) -> RevisionKind:
    """The kind of a ``revision`` argument's value (``None``: not given)."""
    if revision is None or revision == "":
        return "none"
    if COMMIT_SHA.match(revision):
        return "commit"
    if re.match(r"^v?\d+(\.\d+)*([.-].*)?$", revision):
        return "tag"
    return "branch"


@dataclass(frozen=True)
class ModelReference:
    """One place where code loads a model from a hub."""

    file: str
    """Path relative to the root that was read, with ``/`` separators."""
    line: int
    """1-based line (for a notebook: the line within the notebook's JSON file)."""
    model: str | None
    """The model id (``owner/name`` or a legacy single name); ``None`` when the id is
    computed at run time (``dynamic``) and mlsc cannot tell which model it is."""
    revision: str | None
    """The ``revision`` argument as written, when it is a literal or a resolved constant."""
    revision_kind: RevisionKind
    call: str
    """What loads it: ``from_pretrained``, ``pipeline``, ``hf_hub_download``,
    ``snapshot_download``, ``SentenceTransformer``, ``torch.hub.load``, ``config`` ..."""
    evidence: str
    """Where it was read: ``python``, ``notebook``, ``yaml`` or ``json``."""
    confidence: float
    """1.0 for a string literal at the call; less for a resolved module constant (0.9) or
    an id read from a config file (0.7)."""
    hub: Literal["huggingface", "github"] = "huggingface"
    """``github`` for ``torch.hub.load("owner/repo")``, which fetches code from GitHub."""
    revision_dynamic: bool = False
    """True when a ``revision`` argument is present but computed at run time."""

    @property
    def pinned(self) -> bool:
        """Pinned to a commit, so a later push to the model does not reach the code."""
        return self.revision_kind == "commit"

    @property
    def dynamic(self) -> bool:
        return self.model is None


@dataclass(frozen=True)
class Unreadable:
    """A file the reader skipped, and why (a syntax error, binary content, too large ...)."""

    file: str
    reason: str


@dataclass(frozen=True)
class CodeReading:
    """Everything one read of a tree found."""

    root: str
    references: tuple[ModelReference, ...]
    """Ordered by file, then line."""
    files_read: int
    """Files parsed (Python, notebooks, YAML and JSON configs)."""
    skipped: tuple[Unreadable, ...] = ()
