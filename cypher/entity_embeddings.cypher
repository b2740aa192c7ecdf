// Stored embeddings of entities.
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})
WHERE e.embedding IS NOT NULL
RETURN e.entity_id AS entity_id, e.embedding AS embedding
