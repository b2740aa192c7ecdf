// Entities are shared within a tier (one per concept): the first document to mention one creates
// it. A new entity without a concept is marked for the SAME_AS step after the writes.
UNWIND $entities AS e
MERGE (n:Entity {entity_id: e.entity_id})
ON CREATE SET n += e.properties, n.same_as_pending = CASE WHEN e.properties.concept_id IS NULL THEN true END
WITH n, e
WHERE e.embedding IS NOT NULL AND n.embedding IS NULL
CALL db.create.setNodeVectorProperty(n, 'embedding', e.embedding)
