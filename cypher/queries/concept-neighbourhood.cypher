// name: concept-neighbourhood
// description: a concept's IS_A parents and children, its CONCEPT_REL relations both ways, and the entities of each tier that stand for it (DEFINITION_OF)
// param: concept_id (string) a CUI or prefixed id such as HP:0001250
// param: limit (integer, default 25) rows at most per kind of neighbour
MATCH (c:Concept {concept_id: $concept_id})
CALL (c) {
  MATCH (c)-[:IS_A]->(n:Concept)
  RETURN 'parent (IS_A)' AS relation, 'vocabulary' AS tier, n.concept_id AS id, n.name AS name, NULL AS detail
  ORDER BY name LIMIT $limit
  UNION ALL
  MATCH (c)<-[:IS_A]-(n:Concept)
  RETURN 'child (IS_A)' AS relation, 'vocabulary' AS tier, n.concept_id AS id, n.name AS name, NULL AS detail
  ORDER BY name LIMIT $limit
  UNION ALL
  MATCH (c)-[r:CONCEPT_REL]-(n:Concept)
  RETURN CASE startNode(r) WHEN c THEN 'CONCEPT_REL out' ELSE 'CONCEPT_REL in' END AS relation, 'vocabulary' AS tier,
         n.concept_id AS id, n.name AS name, coalesce(r.rela, r.rel) + ' (' + coalesce(r.source, '?') + ')' AS detail
  ORDER BY relation, name LIMIT $limit
  UNION ALL
  MATCH (e:Entity)-[d:DEFINITION_OF]->(c)
  RETURN 'entity (DEFINITION_OF)' AS relation, e.tier AS tier, e.entity_id AS id, e.name AS name,
         toString(COUNT { (:Chunk)-[:MENTIONS]->(e) }) + ' mentions, linked by ' + coalesce(d.method, '?') AS detail
  ORDER BY tier, name LIMIT $limit
}
RETURN relation, tier, id, name, detail
