"""Standalone, offline HTML rendering of query results (`mlsc.render.html`)."""
