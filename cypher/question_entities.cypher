// Stored entities by id (the question's concepts in each tier), with their similarity to the
// question and how many chunks mention them.
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})
WHERE $tier IS NULL OR e.tier = $tier
RETURN e.entity_id AS entity_id, e.name AS name, e.type AS type, e.tier AS tier, e.concept_id AS concept_id,
       vector.similarity.cosine(e.embedding, $vector) AS similarity, COUNT { (e)<-[:MENTIONS]-() } AS chunks,
       e.embedding AS embedding
