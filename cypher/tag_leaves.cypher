// For each meta-graph: the entities its chunk mentions, with the status of their mentions there.
MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c:Chunk)
OPTIONAL MATCH (c)-[m:MENTIONS]->(e:Entity)
WITH g, e, collect(m.status) AS statuses
RETURN g.graph_id AS graph_id, g.tier AS tier,
       collect(CASE WHEN e IS NULL THEN NULL ELSE {entity_id: e.entity_id, name: e.name, type: e.type,
               negated: all(s IN statuses WHERE s = 'negated')} END) AS entities
ORDER BY graph_id
