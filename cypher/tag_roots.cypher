// The top-layer tags (no parent) of the published tree nearest to the question's tag vector, each
// with its children (the walk's next step, fetched in the same round trip). Tags of a tree still
// being built, or of one being removed, are not part of the published generation. Similarities are
// cosines rescaled to [0, 1], as the vector index reports them.
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
WITH coalesce(tree.generation, 0) AS generation
CALL db.index.vector.queryNodes('tag_embedding', $candidates, $vector) YIELD node, score
WITH node, score
WHERE coalesce(node.generation, 0) = generation AND NOT (:Tag)-[:PARENT_OF]->(node)
WITH node, score
ORDER BY score DESC, node.tag_id
LIMIT $beam
RETURN node.tag_id AS tag_id, node.layer AS layer, node.summary AS summary, node.size AS size,
       [(node)-[:SUMMARIZES]->(g:MetaGraph) | g.graph_id][0] AS graph_id, score AS similarity,
       [(node)-[:PARENT_OF]->(child:Tag) |
        {parent_id: node.tag_id, tag_id: child.tag_id, layer: child.layer, summary: child.summary, size: child.size,
         graph_id: [(child)-[:SUMMARIZES]->(g:MetaGraph) | g.graph_id][0],
         similarity: vector.similarity.cosine(child.embedding, $vector)}] AS children
