// Chunks that mention specific entities (those few chunks mention), by entity.
UNWIND $entity_ids AS id
MATCH (c:Chunk)-[:MENTIONS]->(:Entity {entity_id: id})
WHERE $tier IS NULL OR c.tier = $tier
RETURN id AS entity_id, collect(c.chunk_id)[..$per_entity] AS chunk_ids
