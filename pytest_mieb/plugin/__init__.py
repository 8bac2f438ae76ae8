"""pytest glue: options, collection, fixtures, session caches, terminal output."""
