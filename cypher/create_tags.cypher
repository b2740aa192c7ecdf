// Tags of one layer of generation $generation: layer 0 summarizes its meta-graph, higher layers
// are parents of their children.
UNWIND $tags AS t
CREATE (tag:Tag {tag_id: t.tag_id, layer: t.layer, summary: t.summary, categories: t.categories, size: t.size,
                 generation: $generation})
WITH tag, t
CALL (tag, t) {
  MATCH (g:MetaGraph {graph_id: t.graph_id})
  CREATE (tag)-[:SUMMARIZES]->(g)
}
CALL (tag, t) {
  UNWIND t.children AS child_id
  MATCH (child:Tag {tag_id: child_id})
  CREATE (tag)-[:PARENT_OF]->(child)
}
CALL db.create.setNodeVectorProperty(tag, 'embedding', t.embedding)
