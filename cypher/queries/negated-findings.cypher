// name: negated-findings
// description: what a document rules out: the mentions its extraction marked negated ("no evidence of pneumonia"), with their concepts and the text around them
// param: doc_id (string) a document id (see `medgraph documents list`)
MATCH (:Document {doc_id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS {status: 'negated'}]->(e:Entity)
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(concept:Concept)
// Mention offsets count from the document's start, chunk text from the chunk's.
WITH c, m, e, concept, m.start - c.start AS at
RETURN m.surface AS surface, e.name AS entity, concept.concept_id AS concept_id, concept.name AS concept,
       m.start AS start, m.end AS end,
       substring(c.text, CASE WHEN at > 60 THEN at - 60 ELSE 0 END, 120 + m.end - m.start) AS context,
       c.chunk_id AS chunk_id
ORDER BY start
