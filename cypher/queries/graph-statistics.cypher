// name: graph-statistics
// description: nodes per label and relationships per type, split by tier (vocabulary for concepts, service for the tag tree, jobs, answers and the write marker; `user->vocabulary` for a relationship between tiers)
CALL () {
  MATCH (n:Document|Chunk|MetaGraph|Entity|Tag)
  UNWIND labels(n) AS label
  RETURN 'node' AS kind, label AS name, n.tier AS tier, count(*) AS count
  UNION ALL
  // Vocabulary totals come from the count store: a vocabulary may hold millions of concepts.
  MATCH (n:Concept)
  RETURN 'node' AS kind, 'Concept' AS name, 'vocabulary' AS tier, count(n) AS count
  UNION ALL
  MATCH (n:VocabularySource)
  RETURN 'node' AS kind, 'VocabularySource' AS name, 'vocabulary' AS tier, count(n) AS count
  UNION ALL
  // What the service keeps about itself: the tag tree's generation, ingestion jobs, recent answers, the write marker.
  MATCH (n:TagTree|Job|Answer|Marker)
  RETURN 'node' AS kind, labels(n)[0] AS name, 'service' AS tier, count(*) AS count
  UNION ALL
  MATCH ()-[r:IS_A]->()
  RETURN 'relationship' AS kind, 'IS_A' AS name, 'vocabulary' AS tier, count(r) AS count
  UNION ALL
  MATCH ()-[r:CONCEPT_REL]->()
  RETURN 'relationship' AS kind, 'CONCEPT_REL' AS name, 'vocabulary' AS tier, count(r) AS count
  UNION ALL
  MATCH (a)-[r:HAS_CHUNK|NEXT|FROM_CHUNK|IN_GRAPH|MENTIONS|RELATED|REFERENCE_OF|DEFINITION_OF|SAME_AS|SUMMARIZES|PARENT_OF]->(b)
  WITH r, CASE WHEN a:Concept THEN 'vocabulary' ELSE a.tier END AS start_tier,
       CASE WHEN b:Concept THEN 'vocabulary' ELSE b.tier END AS end_tier
  // Tags have no tier: a relationship to or from one takes the tier of its other end.
  WITH r, coalesce(start_tier, end_tier) AS start_tier, coalesce(end_tier, start_tier) AS end_tier
  RETURN 'relationship' AS kind, type(r) AS name,
         CASE WHEN start_tier = end_tier THEN start_tier ELSE start_tier + '->' + end_tier END AS tier, count(r) AS count
}
WITH kind, name, tier, count
WHERE count > 0
RETURN kind, name, tier, count
ORDER BY kind, name, tier
