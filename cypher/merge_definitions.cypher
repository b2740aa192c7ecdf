// Tier 1/2 entities to the tier-3 concepts they stand for.
UNWIND $links AS l
MATCH (e:Entity {entity_id: l.entity_id}), (c:Concept {concept_id: l.concept_id})
MERGE (e)-[d:DEFINITION_OF]->(c)
ON CREATE SET d.score = l.score, d.method = l.method
