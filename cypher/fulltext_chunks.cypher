// $query is a Lucene query built from the question's words (never raw user text).
CALL db.index.fulltext.queryNodes('chunk_text', $query, {limit: $candidates}) YIELD node, score
WHERE $tier IS NULL OR node.tier = $tier
RETURN node.chunk_id AS chunk_id, score
ORDER BY score DESC
LIMIT $k
