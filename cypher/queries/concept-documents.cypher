// name: concept-documents
// description: documents whose chunks mention a concept (Chunk-MENTIONS->Entity-DEFINITION_OF->Concept), most mentions first, with how many of them are negated
// param: concept_id (string) a CUI or prefixed id such as HP:0001250
// param: narrower (boolean, default false) also count mentions of the concepts below it (IS_A, up to 5 levels)
// param: limit (integer, default 25) documents at most
MATCH (c:Concept {concept_id: $concept_id})
CALL (c) {
  RETURN c AS concept
  UNION
  MATCH (concept:Concept)-[:IS_A*1..5]->(c)
  WHERE $narrower
  RETURN concept
}
MATCH (concept)<-[:DEFINITION_OF]-(:Entity)<-[m:MENTIONS]-(:Chunk)<-[:HAS_CHUNK]-(d:Document)
RETURN d.doc_id AS doc_id, d.tier AS tier, d.title AS title, d.source AS source, count(m) AS mentions,
       sum(CASE m.status WHEN 'negated' THEN 1 ELSE 0 END) AS negated, collect(DISTINCT m.surface) AS surfaces,
       collect(DISTINCT concept.concept_id) AS concepts
ORDER BY mentions DESC, doc_id
LIMIT $limit
