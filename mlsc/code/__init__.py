"""Model references in application code, read without importing or running it.

- :func:`read_references` walks a tree (Python files, notebooks, YAML and JSON configs) and
  returns a :class:`CodeReading`: every :class:`ModelReference` with its file, line, model id
  and revision, and the files it could not read, with the reason.
"""

from mlsc.code.reader import read_references
from mlsc.code.references import CodeReading, ModelReference, RevisionKind, Unreadable

__all__ = ["CodeReading", "ModelReference", "RevisionKind", "Unreadable", "read_references"]
