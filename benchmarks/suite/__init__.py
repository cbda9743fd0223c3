"""The hub-scale benchmark of ``benchmarks/run.py``, one module per part.

- ``targets``: the targets (``TARGETS``, ``NEO4J_TARGETS``) and the run's fixed settings;
- ``measure``: timing of repeated runs, peak RSS, child processes, the machine's description;
- ``children``: what the ``run.py --child ...`` subprocesses do (ingestion, networkx build);
- ``sizerun``: one size (``SizeRun``): generate the input, then each phase in turn;
- ``ingest``: ingestion into the embedded store beside the networkx build;
- ``queries``: lineage, blast radius, reach and top on the embedded store beside networkx
  (and igraph);
- ``cli_timing``: ``mlsc blast-radius`` end to end as a subprocess;
- ``neo4j_bench``: a private Neo4j engine, ingestion and the same queries on it;
- ``merge_heavy``: the merge-heavy graph, and the naive path-counting Cypher on Neo4j;
- ``answers``: the mlsc queries as the benchmark asks them (summaries and full JSON);
- ``report``: number formatting, table rows and the printed tables.

The networkx side of the queries lives in ``benchmarks/nxbaseline.py``, the igraph side in
``benchmarks/igraph_baseline.py``.
"""
