// The children of tags, each with its similarity to the question's tag vector (rescaled cosine).
UNWIND $tag_ids AS parent_id
MATCH (:Tag {tag_id: parent_id})-[:PARENT_OF]->(child:Tag)
RETURN parent_id, child.tag_id AS tag_id, child.layer AS layer, child.summary AS summary, child.size AS size,
       [(child)-[:SUMMARIZES]->(g:MetaGraph) | g.graph_id][0] AS graph_id,
       vector.similarity.cosine(child.embedding, $vector) AS similarity
