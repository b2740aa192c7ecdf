// Tags of one layer: layer 0 summarizes its meta-graph, higher layers are parents of their children.
UNWIND $tags AS t
CREATE (tag:Tag {tag_id: t.tag_id, layer: t.layer, summary: t.summary, categories: t.categories, size: t.size})
WITH tag, t
CALL {
  WITH tag, t
  MATCH (g:MetaGraph {graph_id: t.graph_id})
  CREATE (tag)-[:SUMMARIZES]->(g)
}
CALL {
  WITH tag, t
  UNWIND t.children AS child_id
  MATCH (child:Tag {tag_id: child_id})
  CREATE (tag)-[:PARENT_OF]->(child)
}
CALL db.create.setNodeVectorProperty(tag, 'embedding', t.embedding)
