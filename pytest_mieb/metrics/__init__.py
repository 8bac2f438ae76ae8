"""Pure metric functions: retrieval metrics, top-k search and classification metrics."""
