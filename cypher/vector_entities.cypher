// The entities nearest to the question in the whole graph (global entity search), best first.
CALL db.index.vector.queryNodes('entity_embedding', $candidates, $vector) YIELD node, score
WITH node AS e, score
WHERE $tier IS NULL OR e.tier = $tier
WITH e, score
ORDER BY score DESC, e.entity_id
LIMIT $n
RETURN collect({entity_id: e.entity_id, name: e.name, type: e.type, tier: e.tier, concept_id: e.concept_id,
                similarity: score, chunks: COUNT { (e)<-[:MENTIONS]-() }}) AS entities
