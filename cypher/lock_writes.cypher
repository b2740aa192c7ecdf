// Taken first by every transaction that changes documents: the write lock on one node serializes
// them across processes until they commit. With $pending the change leaves post-write work (tier
// links, tags): the durable marker a crashed or concurrent run leaves for the next to finish; the
// version counts only such changes, so a purge or delete meanwhile does not keep the marker set.
MERGE (m:Marker {name: 'writes'})
SET m.version = coalesce(m.version, 0) + CASE WHEN $pending THEN 1 ELSE 0 END,
    m.pending = coalesce(m.pending, false) OR $pending,
    m.written_at = datetime()
