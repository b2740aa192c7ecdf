// Taken first by every transaction that changes documents: the write lock on one node serializes
// them across processes until they commit. With $pending the change leaves post-write work (tier
// links, tags): the durable marker a crashed or concurrent run leaves for the next to finish.
MERGE (m:Marker {name: 'writes'})
SET m.version = coalesce(m.version, 0) + 1,
    m.pending = coalesce(m.pending, false) OR $pending,
    m.written_at = datetime()
