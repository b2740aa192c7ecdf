// Up to $k neighbours of each entity through RELATED, REFERENCE_OF and SAME_AS (either direction,
// across tiers), most similar to the question first, and the concept each entity stands for.
// Entities with more than $max_degree such relationships (hubs: their neighbours are half the
// graph) are not expanded here but flagged; hub_neighbours.cypher expands them.
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})
WITH e, id, COUNT { (e)-[:RELATED|REFERENCE_OF|SAME_AS]-() } AS degree
CALL {
  WITH e, degree
  MATCH (e)-[r:RELATED|REFERENCE_OF|SAME_AS]-(n:Entity)
  WHERE degree <= $max_degree
  WITH DISTINCT n, type(r) AS via, r.phrase AS phrase
  WITH n, via, phrase, vector.similarity.cosine(n.embedding, $vector) AS similarity
  ORDER BY similarity DESC, n.entity_id
  LIMIT $k
  RETURN collect({entity_id: n.entity_id, name: n.name, type: n.type, tier: n.tier, concept_id: n.concept_id,
                  similarity: similarity, chunks: COUNT { (n)<-[:MENTIONS]-() }, via: via, phrase: phrase})
         AS neighbours
}
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(c:Concept)
RETURN id AS entity_id, degree > $max_degree AS hub, neighbours,
       CASE WHEN c IS NULL THEN NULL ELSE c {.concept_id, .name, .definition, .sources} END AS concept
