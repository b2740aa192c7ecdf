// name: tag-path
// description: the tags above a meta-graph: the tag that summarizes it, then each PARENT_OF parent up to the root of the tag tree, with their summaries
// param: graph_id (string) a meta-graph id, one per chunk (see document-chunks)
MATCH (:MetaGraph {graph_id: $graph_id})<-[:SUMMARIZES]-(leaf:Tag)
// The tag tree has at most 64 layers (MEDGRAPH_TAG_MAX_LAYERS).
MATCH p = (root:Tag)-[:PARENT_OF*0..64]->(leaf)
WHERE NOT (:Tag)-[:PARENT_OF]->(root)
UNWIND nodes(p) AS tag
RETURN tag.layer AS layer, tag.tag_id AS tag_id, tag.size AS size, tag.summary AS summary
ORDER BY layer
