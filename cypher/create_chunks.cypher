// Embeddings are stored as float32 arrays (half the size of a list of floats).
UNWIND $chunks AS c
MATCH (doc:Document {doc_id: c.doc_id})
CREATE (doc)-[:HAS_CHUNK {ord: c.ord}]->(chunk:Chunk {chunk_id: c.chunk_id})
SET chunk += c.properties
WITH chunk, c
CALL db.create.setNodeVectorProperty(chunk, 'embedding', c.embedding)
