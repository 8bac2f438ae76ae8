"""Tasks as data: specs, the suite reader, the protocol table, the task index, shards."""
