// The entities nearest to the question in the whole graph (global entity search).
CALL db.index.vector.queryNodes('entity_embedding', $candidates, $vector) YIELD node, score
WITH node AS e, score
WHERE $tier IS NULL OR e.tier = $tier
RETURN e.entity_id AS entity_id, e.name AS name, e.type AS type, e.tier AS tier, e.concept_id AS concept_id,
       score AS similarity, COUNT { (e)<-[:MENTIONS]-() } AS chunks
ORDER BY similarity DESC, entity_id
LIMIT $n
