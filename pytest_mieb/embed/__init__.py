"""Inputs to embeddings: the embedder (`embedder`), decode workers (`decode`), the batch
loop (`batches`), the embedding cache (`cache`)."""
