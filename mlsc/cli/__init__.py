"""The `mlsc` command line (typer)."""
