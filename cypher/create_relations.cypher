// Relations stated by one meta-graph (graph_id), so a document's update or delete removes exactly its own.
UNWIND $relations AS r
MATCH (a:Entity {entity_id: r.source_id}), (b:Entity {entity_id: r.target_id})
CREATE (a)-[:RELATED {graph_id: r.graph_id, chunk_id: r.chunk_id, phrase: r.phrase, kind: r.kind}]->(b)
