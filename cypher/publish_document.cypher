// Publish a staged document in one write: its previous chunks are retired (unlinked and hidden,
// removed in batches afterwards), the chunks run $run staged become its chunks.
MATCH (d:Document {doc_id: $doc_id})
CALL (d) {
  MATCH (d)-[r:HAS_CHUNK]->(old:Chunk)
  DELETE r
  SET old.state = 'retired', old.owner = d.doc_id
}
CALL (d) {
  MATCH (c:Chunk {owner: d.doc_id})
  WHERE c.state = 'staged' AND c.stage_run = $run
  CREATE (d)-[:HAS_CHUNK {ord: c.staged_ord}]->(c)
  REMOVE c.state, c.owner, c.stage_run, c.staged_ord, c.staged_at
  RETURN count(c) AS chunks
}
RETURN chunks
