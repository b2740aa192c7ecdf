// The links of an answer's evidence graph among $entity_ids (the entities its trace found): the
// cited chunks' MENTIONS of them, the tier links between them, and the concepts they stand for.
// The caller keeps the entities the chunks mention (and the question's own) and their links.
UNWIND $chunk_ids AS id
MATCH (c:Chunk {chunk_id: id})-[r:MENTIONS]->(e:Entity)
WHERE e.entity_id IN $entity_ids
WITH c, e, collect(r) AS mentions
RETURN c.chunk_id AS source, e.entity_id AS target, 'MENTIONS' AS type,
       {mentions: size(mentions), surfaces: [m IN mentions | m.surface],
        statuses: [m IN mentions | m.status]} AS details
UNION ALL
UNWIND $entity_ids AS id
MATCH (a:Entity {entity_id: id})-[r:RELATED|REFERENCE_OF|SAME_AS]->(b:Entity)
WHERE b.entity_id IN $entity_ids
RETURN a.entity_id AS source, b.entity_id AS target, type(r) AS type, r {.phrase, .score, .method} AS details
UNION ALL
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})-[r:DEFINITION_OF]->(c:Concept)
RETURN e.entity_id AS source, c.concept_id AS target, 'DEFINITION_OF' AS type, r {.score, .method} AS details
