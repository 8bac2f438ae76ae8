"""Pure metric functions: retrieval metrics and top-k search."""
