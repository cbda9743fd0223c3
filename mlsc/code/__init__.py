"""Model references in application code, read without importing or running it.

- :func:`read_references` walks a tree (Python files, notebooks, YAML and JSON configs) and
  returns a :class:`CodeReading`: every :class:`ModelReference` with its file, line, model id
  and revision, and the files it could not read, with the reason.

Inside: :mod:`~mlsc.code.walk` picks the files (no symbolic link is followed, vendored and
generated directories are left out, size limits), :mod:`~mlsc.code.python_refs` reads Python
with :mod:`ast` (never importing or running it), :mod:`~mlsc.code.config_refs` reads
notebooks and YAML/JSON configs, :mod:`~mlsc.code.reader` puts them together. Nothing here
imports from :mod:`mlsc.graph`: ``mlsc ingest code`` writes what this reads.
"""

from mlsc.code.reader import read_references
from mlsc.code.references import CodeReading, ModelReference, RevisionKind, Unreadable

__all__ = ["CodeReading", "ModelReference", "RevisionKind", "Unreadable", "read_references"]
