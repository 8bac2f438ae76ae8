"""Inputs to embeddings: the embedder, decode workers, the embedding cache."""
