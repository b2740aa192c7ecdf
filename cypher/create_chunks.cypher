// Chunks with their meta-graphs (one per chunk). Embeddings are stored as float32 arrays.
UNWIND $chunks AS c
MATCH (doc:Document {doc_id: c.doc_id})
CREATE (doc)-[:HAS_CHUNK {ord: c.ord}]->(chunk:Chunk {chunk_id: c.chunk_id})
SET chunk += c.properties
CREATE (:MetaGraph {graph_id: c.graph_id, tier: c.properties.tier, doc_id: c.doc_id})-[:FROM_CHUNK]->(chunk)
WITH chunk, c
CALL db.create.setNodeVectorProperty(chunk, 'embedding', c.embedding)
