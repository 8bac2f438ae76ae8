"""pytest-mieb: the Massive Image Embedding Benchmark as a pytest plugin."""

__version__ = "0.1.0"
