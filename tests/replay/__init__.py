"""A local replay of the Hugging Face Hub API for tests and benchmarks (see hf.py, hub.py)."""
