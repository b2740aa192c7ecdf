// For each meta-graph (only those the published tree does not tag when $untagged_only): the
// entities its chunk mentions (name, type, context), with the statuses of their mentions there; the
// chunk's embedding when it mentions none.
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
WITH coalesce(tree.generation, 0) AS generation
MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c:Chunk)
WHERE c.state IS NULL AND (NOT $untagged_only
   OR NOT EXISTS { MATCH (t:Tag)-[:SUMMARIZES]->(g) WHERE coalesce(t.generation, 0) = generation })
OPTIONAL MATCH (c)-[m:MENTIONS]->(e:Entity)
WITH g, c, e, collect(m.status) AS statuses
WITH g, c, collect(CASE WHEN e IS NULL THEN NULL ELSE {entity_id: e.entity_id, name: e.name, type: e.type,
                    context: e.context, statuses: statuses} END) AS entities
RETURN g.graph_id AS graph_id, g.tier AS tier, entities,
       CASE WHEN size(entities) = 0 THEN c.embedding END AS chunk_embedding
ORDER BY graph_id
