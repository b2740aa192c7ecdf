// Neighbours of hub entities among the entities nearest the question: found from the near side,
// whose relationships are few, so no hub's relationships are scanned.
UNWIND $near AS near_id
MATCH (n:Entity {entity_id: near_id})
WHERE COUNT { (n)-[:RELATED|REFERENCE_OF|SAME_AS]-() } <= $max_degree
MATCH (n)-[r:RELATED|REFERENCE_OF|SAME_AS]-(hub:Entity)
WHERE hub.entity_id IN $hubs
WITH DISTINCT hub.entity_id AS hub_id, n, type(r) AS via, r.phrase AS phrase
RETURN hub_id, {entity_id: n.entity_id, name: n.name, type: n.type, tier: n.tier, concept_id: n.concept_id,
                similarity: vector.similarity.cosine(n.embedding, $vector), chunks: COUNT { (n)<-[:MENTIONS]-() },
                via: via, phrase: phrase} AS neighbour
