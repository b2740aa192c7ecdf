// A document's published chunks in text order: each one's span in the document's text and its words.
MATCH (:Document {doc_id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)
WHERE c.state IS NULL
RETURN c.start AS start, c.end AS end, c.text AS text
ORDER BY c.start
