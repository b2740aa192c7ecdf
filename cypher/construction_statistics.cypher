// Sizes of the built graph: entities per meta-graph and the share of entities linked to a concept.
MATCH (g:MetaGraph)
WITH count(g) AS graphs, sum(COUNT { (g)<-[:IN_GRAPH]-(:Entity) }) AS memberships
MATCH (e:Entity)
WITH graphs, memberships, count(e) AS entities, count(CASE WHEN (e)-[:DEFINITION_OF]->(:Concept) THEN 1 END) AS linked
RETURN graphs, entities, linked, CASE graphs WHEN 0 THEN 0.0 ELSE toFloat(memberships) / graphs END AS entities_per_chunk,
       COUNT { ()-[:RELATED]->() } AS relations, COUNT { ()-[:REFERENCE_OF]->() } AS reference_links
