// Chunks matching a Lucene query, best first, as one row of lists. $query is built from the
// question's words (never raw user text).
CALL db.index.fulltext.queryNodes('chunk_search', $query, {limit: $candidates}) YIELD node, score
WHERE node.state IS NULL AND ($tier IS NULL OR node.tier = $tier)
WITH node, score
ORDER BY score DESC
LIMIT $k
RETURN collect(node.chunk_id) AS chunk_ids, collect(score) AS scores
