// The leaf tags of documents about to be rewritten or deleted; their ancestors lose one meta-graph
// each, and ancestors left with none are removed too.
UNWIND $doc_ids AS doc_id
MATCH (:Document {doc_id: doc_id})-[:HAS_CHUNK]->(:Chunk)<-[:FROM_CHUNK]-(:MetaGraph)<-[:SUMMARIZES]-(leaf:Tag)
CALL {
  WITH leaf
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
