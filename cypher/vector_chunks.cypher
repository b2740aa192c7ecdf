// Nearest chunks to a question embedding, best first; $candidates > $k leaves room for the tier
// filter and for hidden chunks (`state`: a large document's not yet published, or just replaced).
// One row of lists: retrieval reads many hits, and a record each costs more than a value.
CALL db.index.vector.queryNodes('chunk_embedding', $candidates, $embedding) YIELD node, score
WHERE node.state IS NULL AND ($tier IS NULL OR node.tier = $tier)
WITH node, score
ORDER BY score DESC
LIMIT $k
RETURN collect(node.chunk_id) AS chunk_ids, collect(score) AS scores
