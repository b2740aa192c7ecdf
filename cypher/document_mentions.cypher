// Every mention of the documents' published chunks, in document order: its span (offsets in the
// document's text), words, status, entity type and the concept it stands for with the concept's ids.
UNWIND $doc_ids AS id
MATCH (d:Document {doc_id: id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
WHERE c.state IS NULL
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(k:Concept)
RETURN d.doc_id AS doc_id, d.external_id AS external_id, m.start AS start, m.end AS end, m.surface AS surface,
       coalesce(m.status, 'affirmed') AS status, e.type AS type, k.concept_id AS concept_id,
       coalesce(k.xrefs, []) AS xrefs
ORDER BY doc_id, start, end
