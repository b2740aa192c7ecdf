// The top-layer tags (no parent) nearest to the question's tag vector. Similarities are cosines
// rescaled to [0, 1], as the vector index reports them.
CALL db.index.vector.queryNodes('tag_embedding', $candidates, $vector) YIELD node, score
WITH node, score
WHERE NOT (:Tag)-[:PARENT_OF]->(node)
RETURN node.tag_id AS tag_id, node.layer AS layer, node.summary AS summary, node.size AS size,
       [(node)-[:SUMMARIZES]->(g:MetaGraph) | g.graph_id][0] AS graph_id, score AS similarity
ORDER BY similarity DESC, tag_id
LIMIT $beam
