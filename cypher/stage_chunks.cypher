// Chunks of a large document, written in parts before the document is published: each with its
// meta-graph, owned by the document and the run staging it, hidden from every search until
// publish_document. Runs stage under their own chunk ids, so two runs never collide.
UNWIND $chunks AS c
CREATE (chunk:Chunk {chunk_id: c.chunk_id})
SET chunk += c.properties, chunk.state = 'staged', chunk.owner = $doc_id, chunk.stage_run = $run,
    chunk.staged_ord = c.ord, chunk.staged_at = datetime()
CREATE (:MetaGraph {graph_id: c.graph_id, tier: c.properties.tier, doc_id: $doc_id})-[:FROM_CHUNK]->(chunk)
WITH chunk, c
CALL db.create.setNodeVectorProperty(chunk, 'embedding', c.embedding)
