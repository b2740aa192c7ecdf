// U-retrieve's bottom-up step in one round trip (paper 2.3):
// 1. the $n entities of the chosen meta-graphs ($graph_ids) most similar to the question (top N_u
//    within G_m);
// 2. for those and the $seed_ids, up to $k neighbours each through RELATED, REFERENCE_OF and
//    SAME_AS (either direction, across tiers), most similar to the question first, and the
//    concept each stands for (DEFINITION_OF);
// 3. hubs (more than $max_degree such relationships: their neighbours are half the graph) are not
//    expanded from their side: their neighbours are looked for among the entities nearest the
//    question ($near), whose relationships are few.
CALL {
  UNWIND $graph_ids AS graph_id
  MATCH (e:Entity)-[:IN_GRAPH]->(:MetaGraph {graph_id: graph_id})
  WHERE $tier IS NULL OR e.tier = $tier
  WITH DISTINCT e
  WITH e, vector.similarity.cosine(e.embedding, $vector) AS similarity
  ORDER BY similarity DESC, e.entity_id
  LIMIT $n
  RETURN collect({entity_id: e.entity_id, name: e.name, type: e.type, tier: e.tier, concept_id: e.concept_id,
                  similarity: similarity, chunks: COUNT { (e)<-[:MENTIONS]-() }}) AS retrieved
}
CALL {
  WITH retrieved
  UNWIND $seed_ids + [r IN retrieved | r.entity_id] AS id
  WITH DISTINCT id
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
  RETURN collect({entity_id: id, hub: degree > $max_degree, neighbours: neighbours,
                  concept: CASE WHEN c IS NULL THEN NULL ELSE c {.concept_id, .name, .definition, .sources} END})
         AS expanded
}
CALL {
  WITH expanded
  WITH [x IN expanded WHERE x.hub | x.entity_id] AS hubs
  WHERE size(hubs) > 0
  UNWIND $near AS near_id
  MATCH (n:Entity {entity_id: near_id})
  WHERE COUNT { (n)-[:RELATED|REFERENCE_OF|SAME_AS]-() } <= $max_degree
  MATCH (n)-[r:RELATED|REFERENCE_OF|SAME_AS]-(hub:Entity)
  WHERE hub.entity_id IN hubs
  WITH DISTINCT hub.entity_id AS hub_id, n, type(r) AS via, r.phrase AS phrase
  RETURN collect({hub_id: hub_id,
                  neighbour: {entity_id: n.entity_id, name: n.name, type: n.type, tier: n.tier,
                              concept_id: n.concept_id, similarity: vector.similarity.cosine(n.embedding, $vector),
                              chunks: COUNT { (n)<-[:MENTIONS]-() }, via: via, phrase: phrase}}) AS links
}
RETURN retrieved, expanded, links
