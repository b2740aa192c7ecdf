// REFERENCE_OF by content-embedding similarity, for user-tier entities that neither a shared concept
// nor the hierarchy links: the nearest reference-tier entities at or above $threshold.
MATCH (u:Entity {tier: 'user'})
WHERE u.embedding IS NOT NULL
  AND NOT EXISTS { (u)-[l:REFERENCE_OF]->() WHERE l.method IN ['concept', 'hierarchy'] }
CALL db.index.vector.queryNodes('entity_embedding', $candidates, u.embedding) YIELD node, score
WITH u, node, score
WHERE node.tier = 'reference' AND score >= $threshold
WITH u, node, score ORDER BY score DESC
WITH u, collect({node: node, score: score})[..$k] AS nearest
UNWIND nearest AS n
WITH u, n.node AS r, n.score AS score
MERGE (u)-[l:REFERENCE_OF]->(r)
ON CREATE SET l.method = 'embedding', l.score = score
RETURN count(DISTINCT l) AS links
