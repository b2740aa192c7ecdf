// The entities each candidate chunk mentions (affirmed or uncertain mentions).
UNWIND $chunk_ids AS id
MATCH (c:Chunk {chunk_id: id})-[m:MENTIONS]->(e:Entity)
WHERE m.status <> 'negated'
RETURN id AS chunk_id, collect(DISTINCT e.entity_id) AS entity_ids
