// Which of these entities the graph already holds (their embeddings need not be computed again).
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})
RETURN e.entity_id AS entity_id
