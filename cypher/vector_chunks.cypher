// Nearest chunks to a question embedding; $candidates > $k leaves room for the tier filter.
CALL db.index.vector.queryNodes('chunk_embedding', $candidates, $embedding) YIELD node, score
WHERE $tier IS NULL OR node.tier = $tier
RETURN node.chunk_id AS chunk_id, score
ORDER BY score DESC
LIMIT $k
