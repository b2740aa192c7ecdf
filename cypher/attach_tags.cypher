// Each new leaf tag that has no parent yet joins the parent of its nearest older leaf of the same
// generation (none when that leaf is a root); the parent and its ancestors cover one more
// meta-graph. A leaf another run attached meanwhile is left as it is.
UNWIND $tag_ids AS id
MATCH (leaf:Tag {tag_id: id})
WHERE NOT EXISTS { (:Tag)-[:PARENT_OF]->(leaf) }
CALL db.index.vector.queryNodes('tag_embedding', $candidates, leaf.embedding) YIELD node, score
WITH leaf, node, score
WHERE node.layer = 0 AND NOT node.tag_id IN $tag_ids AND coalesce(node.generation, 0) = $generation
WITH leaf, node ORDER BY score DESC
WITH leaf, head(collect(node)) AS nearest
MATCH (parent:Tag)-[:PARENT_OF]->(nearest)
CREATE (parent)-[:PARENT_OF]->(leaf)
WITH parent
MATCH (a:Tag)-[:PARENT_OF*0..]->(parent)
SET a.size = a.size + 1
RETURN count(DISTINCT parent) AS parents
