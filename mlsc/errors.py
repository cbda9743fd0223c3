"""One error hierarchy for mlsc. Every message says what went wrong and what to do.

Only the CLI turns these into exit codes; the library raises them.
"""

from __future__ import annotations

from collections.abc import Sequence


class MlscError(Exception):
    """Base of every error mlsc raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The message and, when there is one, what the user can do about it."""
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message


class StoreError(MlscError):
    """The graph store failed or cannot be used."""


class StoreLockedError(StoreError):
    """Another process holds the embedded store open for writing."""


class BufferPoolFullError(StoreError):
    """The embedded store's buffer pool (``MLSC_BUFFER_POOL_MB``) ran out during a write."""


class StoreUnavailableError(StoreError):
    """The store could not be reached (server down, wrong credentials, wrong database)."""


class ReadOnlyViolation(StoreError):
    """A query tried to write where only reads are allowed."""


class QueryTimeoutError(StoreError):
    """A query ran longer than its time limit."""


class NotFoundError(MlscError):
    """A model, actor or commit is not in the knowledge base."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = (
            "Closest known: " + ", ".join(self.suggestions)
            if self.suggestions
            else "Check the spelling, or ingest it first (mlsc ingest --help)."
        )
        super().__init__(f"unknown {kind}: {name!r}", hint=hint)


class EmptyStoreError(MlscError):
    """The knowledge base holds no models yet."""

    def __init__(self, location: str, *, demo: str | None = None) -> None:
        self.location = location
        self.demo = demo
        hint = (
            f"`make demo` built one at {demo}: use it with `export MLSC_DB={demo}` "
            f"(or --db {demo})."
            if demo
            else "Ingest something first, e.g. `mlsc ingest snapshot models.jsonl.gz` "
            "(`make demo` does this with the bundled sample)."
        )
        super().__init__(f"the knowledge base at {location} is empty", hint=hint)


class InputError(MlscError):
    """An input file or argument cannot be read at all (not one bad record: the whole input)."""
