// name: document-chunks
// description: a document's chunks in order, each with its meta-graph id (for tag-path), the entities it mentions and the summary of the tag over it
// param: doc_id (string) a document id (see `medgraph documents list`)
MATCH (:Document {doc_id: $doc_id})-[h:HAS_CHUNK]->(c:Chunk)
OPTIONAL MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c)
RETURN h.ord AS ord, c.chunk_id AS chunk_id, g.graph_id AS graph_id, c.start AS start, c.end AS end,
       COUNT { (c)-[:MENTIONS]->(:Entity) } AS mentions,
       [(t:Tag)-[:SUMMARIZES]->(g) | t.summary][0] AS tag_summary, left(c.text, 80) AS text
ORDER BY ord
