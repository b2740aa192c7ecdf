// The chunks of documents (through HAS_CHUNK: the published ones).
UNWIND $doc_ids AS doc_id
MATCH (:Document {doc_id: doc_id})-[:HAS_CHUNK]->(c:Chunk)
RETURN collect(c.chunk_id) AS chunk_ids
