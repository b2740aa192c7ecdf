// Entities are shared within a tier (one per concept): the first document to mention one creates it.
UNWIND $entities AS e
MERGE (n:Entity {entity_id: e.entity_id})
ON CREATE SET n += e.properties
WITH n, e
WHERE e.embedding IS NOT NULL AND n.embedding IS NULL
CALL db.create.setNodeVectorProperty(n, 'embedding', e.embedding)
