"""The parts of ``benchmarks/hubgen.py``: the graph's shape (``params``) and the generator."""
