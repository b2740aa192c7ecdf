// Everything a citation needs about each chunk (with the mentions it does not state as a present
// finding of the patient), its cosine similarity to the question, and its embedding when
// $with_embeddings; one row, a map per chunk found.
UNWIND $chunk_ids AS id
MATCH (d:Document)-[r:HAS_CHUNK]->(c:Chunk {chunk_id: id})
RETURN collect({chunk_id: c.chunk_id, doc_id: d.doc_id, external_id: d.external_id, title: d.title,
                source: d.source, tier: d.tier, ord: r.ord, start: c.start, end: c.end, text: c.text,
                context: coalesce(c.context, ''), page_start: c.page_start, page_end: c.page_end,
                similarity: vector.similarity.cosine(c.embedding, $embedding),
                qualified: [(c)-[m:MENTIONS]->(e:Entity) WHERE coalesce(m.status, 'affirmed') <> 'affirmed' |
                            {surface: m.surface, name: e.name, status: m.status, start: m.start, end: m.end}][..20],
                embedding: CASE WHEN $with_embeddings THEN c.embedding END}) AS chunks
