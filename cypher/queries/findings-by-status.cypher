// name: findings-by-status
// description: what a document asserts other than as a present finding of the patient: the mentions its extraction marked with one assertion flag (negated "no evidence of pneumonia", uncertain "possible pneumonia", historical "history of pneumonia", family "mother had breast cancer", conditional "return if chest pain develops"), with their concepts and the text around them
// param: doc_id (string) a document id (see `medgraph documents list`)
// param: status (string, default negated) one of negated, uncertain, historical, family, conditional
MATCH (:Document {doc_id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
// Mentions written before the flags existed have only a status: it stands in for its flag.
WHERE $status IN ['negated', 'uncertain', 'historical', 'family', 'conditional']
  AND coalesce(m[$status], m.status = $status)
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(concept:Concept)
// Mention offsets count from the document's start, chunk text from the chunk's.
WITH c, m, e, concept, m.start - c.start AS at
RETURN m.surface AS surface, m.status AS status, e.name AS entity, concept.concept_id AS concept_id,
       concept.name AS concept, m.start AS start, m.end AS end,
       substring(c.text, CASE WHEN at > 60 THEN at - 60 ELSE 0 END, 120 + m.end - m.start) AS context,
       c.chunk_id AS chunk_id
ORDER BY start
