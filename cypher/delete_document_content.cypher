// Remove what documents about to be rewritten or deleted put in the graph: their chunks, meta-graphs,
// mentions and the relations their meta-graphs stated. Returns the entities those chunks mentioned,
// which lose this provenance (entities left with none are removed by delete_orphan_entities).
UNWIND $doc_ids AS doc_id
MATCH (:Document {doc_id: doc_id})-[:HAS_CHUNK]->(c:Chunk)
OPTIONAL MATCH (c)-[:MENTIONS]->(e:Entity)
WITH c, collect(DISTINCT e.entity_id) AS mentioned
OPTIONAL MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c)
CALL {
  WITH g
  MATCH ()-[r:RELATED]->() WHERE r.graph_id = g.graph_id
  DELETE r
}
DETACH DELETE g, c
RETURN mentioned
