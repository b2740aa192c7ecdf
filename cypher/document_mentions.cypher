// Every mention of the documents' published chunks, in document order: its span (offsets in the
// document's text), words, status, entity type and the concept it stands for with the concept's ids
// and MeSH headings. A concept's MeSH headings are its own MeSH descriptors; else, as MeSH's entry
// terms index a name under a heading, those of the one other concept that carries a descriptor and
// has the concept's preferred name among its names ("Restlessness": Psychomotor Agitation); else
// those of its nearest ancestors (at most three IS_A steps up) that have one, as MeSH indexes a
// finer concept under its closest heading ("Chronic urticaria": Urticaria).
UNWIND $doc_ids AS id
MATCH (d:Document {doc_id: id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
WHERE c.state IS NULL
OPTIONAL MATCH (e)-[:DEFINITION_OF]->(k:Concept)
CALL (k) {
  WITH k, [x IN CASE WHEN k IS NULL THEN [] ELSE [k.concept_id] + coalesce(k.xrefs, []) END
           WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS own
  CALL (k, own) {
    WITH k WHERE size(own) = 0 AND size(coalesce(k.name_keys, [])) > 0
    // Name keys hold only [a-z0-9 ^$]: the quoted key is a safe full-text phrase.
    CALL db.index.fulltext.queryNodes('concept_names', '"' + k.name_keys[0] + '"', {limit: 20}) YIELD node
    WITH node, [x IN [node.concept_id] + coalesce(node.xrefs, []) WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:']
         AS theirs
    WHERE node <> k AND k.name_keys[0] IN node.name_keys AND size(theirs) > 0
    WITH collect(theirs) AS found
    RETURN CASE WHEN size(found) = 1 THEN found[0] ELSE [] END AS named
  }
  OPTIONAL MATCH path = (k)-[:IS_A*1..3]->(a:Concept)
  WHERE size(own) = 0 AND size(named) = 0
  WITH own, named, length(path) AS steps, a,
       [x IN CASE WHEN a IS NULL THEN [] ELSE [a.concept_id] + coalesce(a.xrefs, []) END
        WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS theirs
  WITH own, named, steps, a, theirs ORDER BY steps, a.concept_id
  WITH own, named, collect(CASE WHEN size(theirs) > 0 THEN [steps, theirs] END) AS found
  RETURN CASE WHEN size(own) > 0 THEN own
              WHEN size(named) > 0 THEN named
              ELSE reduce(acc = [], f IN found |
                     CASE WHEN f[0] = found[0][0] THEN acc + [x IN f[1] WHERE NOT x IN acc] ELSE acc END)
         END AS mesh_headings
}
RETURN d.doc_id AS doc_id, d.external_id AS external_id, m.start AS start, m.end AS end, m.surface AS surface,
       coalesce(m.status, 'affirmed') AS status, e.type AS type, k.concept_id AS concept_id,
       coalesce(k.xrefs, []) AS xrefs, coalesce(mesh_headings, []) AS mesh_headings
ORDER BY doc_id, start, end
