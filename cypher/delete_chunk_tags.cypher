// The leaf tags of chunks about to be deleted; their ancestors lose one meta-graph each, and
// ancestors left with none are removed too.
UNWIND $chunk_ids AS chunk_id
MATCH (:Chunk {chunk_id: chunk_id})<-[:FROM_CHUNK]-(:MetaGraph)<-[:SUMMARIZES]-(leaf:Tag)
CALL (leaf) {
  OPTIONAL MATCH (a:Tag)-[:PARENT_OF*1..]->(leaf)
  SET a.size = a.size - 1
  RETURN collect(a) AS ancestors
}
DETACH DELETE leaf
WITH ancestors
UNWIND ancestors AS a
WITH DISTINCT a
WHERE a.size <= 0
DETACH DELETE a
