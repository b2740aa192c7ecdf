// Remove chunks with what they put in the graph: their meta-graphs, mentions and the relations
// their meta-graphs stated. Returns the entities those chunks mentioned, which lose this
// provenance (entities left with none are removed by delete_orphan_entities).
UNWIND $chunk_ids AS chunk_id
MATCH (c:Chunk {chunk_id: chunk_id})
OPTIONAL MATCH (c)-[:MENTIONS]->(e:Entity)
WITH c, collect(DISTINCT e.entity_id) AS mentioned
OPTIONAL MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c)
CALL (g) {
  MATCH ()-[r:RELATED]->() WHERE r.graph_id = g.graph_id
  DELETE r
}
DETACH DELETE g, c
RETURN mentioned
