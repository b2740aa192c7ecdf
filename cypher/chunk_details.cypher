// Everything a citation needs about each chunk, its cosine similarity to the question, and its
// embedding when $with_embeddings.
UNWIND $chunk_ids AS id
MATCH (d:Document)-[r:HAS_CHUNK]->(c:Chunk {chunk_id: id})
RETURN c.chunk_id AS chunk_id, d.doc_id AS doc_id, d.external_id AS external_id, d.title AS title, d.source AS source,
       d.tier AS tier, r.ord AS ord, c.start AS start, c.end AS end, c.text AS text, c.page_start AS page_start,
       c.page_end AS page_end, vector.similarity.cosine(c.embedding, $embedding) AS similarity,
       CASE WHEN $with_embeddings THEN c.embedding END AS embedding
