// The chunk of each meta-graph.
UNWIND $graph_ids AS graph_id
MATCH (:MetaGraph {graph_id: graph_id})-[:FROM_CHUNK]->(c:Chunk)
WHERE $tier IS NULL OR c.tier = $tier
RETURN graph_id, c.chunk_id AS chunk_id
