"""Tasks as data: specs, the suite reader, the protocol table, the task index, task types,
shards and zero-shot candidate texts."""
