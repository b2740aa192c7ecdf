// Stored documents, optionally of one tier, ordered by source then unit, with how many distinct
// entities their published chunks mention (counted for the page asked for only).
MATCH (d:Document)
WHERE $tier IS NULL OR d.tier = $tier
WITH d ORDER BY d.source, d.external_id, d.doc_id
SKIP $skip LIMIT $limit
RETURN d.doc_id AS doc_id, d.tier AS tier, d.title AS title, d.source AS source, d.external_id AS external_id,
       d.media_type AS media_type, d.chunk_count AS chunks, toString(d.ingested_at) AS ingested_at,
       COUNT { MATCH (d)-[:HAS_CHUNK]->(c:Chunk)-[:MENTIONS]->(e:Entity) WHERE c.state IS NULL
               RETURN DISTINCT e } AS entities
