"""Result files, aggregation and rendering, gates, published scores."""
