// The embeddings of chunks.
UNWIND $chunk_ids AS id
MATCH (c:Chunk {chunk_id: id})
RETURN c.chunk_id AS chunk_id, c.embedding AS embedding
