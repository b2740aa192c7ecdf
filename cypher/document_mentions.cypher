// Every mention of the documents' published chunks, in document order: its span (offsets in the
// document's text), words, status, entity type and the concept it stands for with the concept's ids
// and MeSH headings: the concept's own MeSH descriptors, else those of its nearest ancestors (at most
// three IS_A steps up) that have one, as MeSH indexes a finer concept under its closest heading.
UNWIND $doc_ids AS id
MATCH (d:Document {doc_id: id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
WHERE c.state IS NULL
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(k:Concept)
CALL (k) {
  WITH k, [x IN CASE WHEN k IS NULL THEN [] ELSE [k.concept_id] + coalesce(k.xrefs, []) END
           WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS own
  OPTIONAL MATCH path = (k)-[:IS_A*1..3]->(a:Concept)
  WHERE size(own) = 0
  WITH own, length(path) AS steps, a,
       [x IN CASE WHEN a IS NULL THEN [] ELSE [a.concept_id] + coalesce(a.xrefs, []) END
        WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS theirs
  WITH own, steps, a, theirs ORDER BY steps, a.concept_id
  WITH own, collect(CASE WHEN size(theirs) > 0 THEN [steps, theirs] END) AS found
  RETURN CASE WHEN size(own) > 0 THEN own
              ELSE reduce(acc = [], f IN found |
                     CASE WHEN f[0] = found[0][0] THEN acc + [x IN f[1] WHERE NOT x IN acc] ELSE acc END)
         END AS mesh_headings
}
RETURN d.doc_id AS doc_id, d.external_id AS external_id, m.start AS start, m.end AS end, m.surface AS surface,
       coalesce(m.status, 'affirmed') AS status, e.type AS type, k.concept_id AS concept_id,
       coalesce(k.xrefs, []) AS xrefs, coalesce(mesh_headings, []) AS mesh_headings
ORDER BY doc_id, start, end
