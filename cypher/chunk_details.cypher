// Everything a citation needs about each chunk, and its cosine similarity to the question.
UNWIND $chunk_ids AS id
MATCH (d:Document)-[r:HAS_CHUNK]->(c:Chunk {chunk_id: id})
RETURN c.chunk_id AS chunk_id, d.doc_id AS doc_id, d.external_id AS external_id, d.title AS title, d.source AS source,
       d.tier AS tier, r.ord AS ord, c.start AS start, c.end AS end, c.text AS text, c.page_start AS page_start,
       c.page_end AS page_end, vector.similarity.cosine(c.embedding, $embedding) AS similarity
