// The candidate chunks of U-retrieve (the chosen meta-graphs' chunks, the chunks mentioning the
// rare entities found, and the given search hits), each with the entities it mentions (affirmed
// or uncertain mentions) and its meta-graph, and how many chunks the graph holds (for the idf).
CALL {
  MATCH (every:Chunk)
  RETURN count(every) AS total
}
CALL {
  UNWIND $graph_ids AS graph_id
  MATCH (:MetaGraph {graph_id: graph_id})-[:FROM_CHUNK]->(c:Chunk)
  RETURN c
  UNION
  UNWIND $entity_ids AS entity_id
  MATCH (c:Chunk)-[:MENTIONS]->(:Entity {entity_id: entity_id})
  RETURN c
  UNION
  UNWIND $chunk_ids AS chunk_id
  MATCH (c:Chunk {chunk_id: chunk_id})
  RETURN c
}
WITH c, total
WHERE c.state IS NULL AND ($tier IS NULL OR c.tier = $tier)
OPTIONAL MATCH (c)-[m:MENTIONS]->(e:Entity)
WHERE m.status <> 'negated'
WITH c, total, collect(DISTINCT e.entity_id) AS entity_ids
OPTIONAL MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c)
RETURN total, collect({chunk_id: c.chunk_id, entity_ids: entity_ids, graph_id: g.graph_id}) AS chunks
