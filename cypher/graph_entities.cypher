// The entities of some meta-graphs most similar to the question (paper: top N_u within G_m).
UNWIND $graph_ids AS graph_id
MATCH (e:Entity)-[:IN_GRAPH]->(:MetaGraph {graph_id: graph_id})
WHERE $tier IS NULL OR e.tier = $tier
WITH DISTINCT e
WITH e, vector.similarity.cosine(e.embedding, $vector) AS similarity
ORDER BY similarity DESC, e.entity_id
LIMIT $n
RETURN e.entity_id AS entity_id, e.name AS name, e.type AS type, e.tier AS tier, e.concept_id AS concept_id,
       similarity, COUNT { (e)<-[:MENTIONS]-() } AS chunks
