// Provenance: each mention of an entity in a chunk, and the entity's membership of that chunk's meta-graph.
UNWIND $mentions AS m
MATCH (c:Chunk {chunk_id: m.chunk_id}), (e:Entity {entity_id: m.entity_id}), (g:MetaGraph {graph_id: m.graph_id})
// `status` is one word for the mention (nlp/assertion.py), the five flags are ConText's.
CREATE (c)-[:MENTIONS {start: m.start, end: m.end, surface: m.surface, status: m.status, negated: m.negated,
                      uncertain: m.uncertain, historical: m.historical, family: m.family,
                      conditional: m.conditional, method: m.method}]->(e)
MERGE (e)-[:IN_GRAPH]->(g)
