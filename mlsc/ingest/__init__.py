"""Ingestion jobs: each turns one kind of input into graph records and writes them."""
