"""The parts of ``benchmarks/scanners.py``: running each tool (``tools``), running them all and
summing up (``compare``), the printed tables (``tables``)."""
