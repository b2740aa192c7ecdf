// Tags of one layer of generation $generation: layer 0 summarizes its meta-graph, higher layers
// are parents of their children. Idempotent (MERGE by id), so two runs tagging the same new
// meta-graphs at once make each tag once.
UNWIND $tags AS t
MERGE (tag:Tag {tag_id: t.tag_id})
ON CREATE SET tag += {layer: t.layer, summary: t.summary, categories: t.categories, size: t.size,
                      generation: $generation}
WITH tag, t
CALL (tag, t) {
  MATCH (g:MetaGraph {graph_id: t.graph_id})
  MERGE (tag)-[:SUMMARIZES]->(g)
}
CALL (tag, t) {
  UNWIND t.children AS child_id
  MATCH (child:Tag {tag_id: child_id})
  MERGE (tag)-[:PARENT_OF]->(child)
}
CALL db.create.setNodeVectorProperty(tag, 'embedding', t.embedding)
