// SAME_AS between near-duplicate entities of one tier that no concept identifies (non-destructive:
// both stay, with their own provenance), for up to $limit entities still marked for it; the mark
// goes as they are linked.
MATCH (e:Entity)
WHERE e.same_as_pending
WITH e LIMIT $limit
REMOVE e.same_as_pending
WITH collect(e) AS batch
CALL (batch) {
  UNWIND batch AS e
  WITH e
  WHERE e.embedding IS NOT NULL AND e.concept_id IS NULL
  CALL db.index.vector.queryNodes('entity_embedding', $candidates, e.embedding) YIELD node, score
  WITH e, node, score
  WHERE node <> e AND node.tier = e.tier AND score >= $threshold
  WITH CASE WHEN e.entity_id < node.entity_id THEN e ELSE node END AS a,
       CASE WHEN e.entity_id < node.entity_id THEN node ELSE e END AS b, score
  MERGE (a)-[s:SAME_AS]->(b)
  ON CREATE SET s.score = score
  RETURN count(DISTINCT s) AS links
}
RETURN size(batch) AS entities, links
