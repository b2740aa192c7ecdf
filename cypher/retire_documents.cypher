// Delete documents in one small write: their chunks are unlinked and hidden (retired, removed in
// batches afterwards with what they put in the graph), the Document nodes go at once.
UNWIND $doc_ids AS doc_id
MATCH (d:Document {doc_id: doc_id})
CALL (d) {
  MATCH (d)-[r:HAS_CHUNK]->(c:Chunk)
  DELETE r
  SET c.state = 'retired', c.owner = d.doc_id
}
DETACH DELETE d
RETURN count(*) AS deleted
