// The MeSH headings of each concept, computed once per concept for the mentions that name it. A
// concept's MeSH headings are its own MeSH descriptors; else, as MeSH's entry terms index a name
// under a heading, those of the one other concept that carries a descriptor and has the concept's
// preferred name among its names ("Restlessness": Psychomotor Agitation); else those of its nearest
// ancestors (at most three IS_A steps up) that have one, as MeSH indexes a finer concept under its
// closest heading ("Chronic urticaria": Urticaria). A concept whose only MeSH ids are supplementary
// concept records (C ids: "halothane hepatitis") keeps them and gains the descriptors found so, as
// MeSH indexes a supplementary concept under the headings it is mapped to.
UNWIND $concept_ids AS concept_id
MATCH (k:Concept {concept_id: concept_id})
WITH k, [x IN [k.concept_id] + coalesce(k.xrefs, []) WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS own
WITH k, own, [x IN own WHERE NOT split(x, ':')[1] STARTS WITH 'C'] AS descriptors
CALL (k, descriptors) {
  WITH k WHERE size(descriptors) = 0 AND size(coalesce(k.name_keys, [])) > 0
  // Name keys hold only [a-z0-9 ^$]: the quoted key is a safe full-text phrase.
  CALL db.index.fulltext.queryNodes('concept_names', '"' + k.name_keys[0] + '"', {limit: 20}) YIELD node
  WITH node, [x IN [node.concept_id] + coalesce(node.xrefs, [])
             WHERE (x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:') AND NOT split(x, ':')[1] STARTS WITH 'C'] AS theirs
  WHERE node <> k AND k.name_keys[0] IN node.name_keys AND size(theirs) > 0
  WITH collect(theirs) AS found
  RETURN CASE WHEN size(found) = 1 THEN found[0] ELSE [] END AS named
}
CALL (k, descriptors, named) {
  OPTIONAL MATCH path = (k)-[:IS_A*1..3]->(a:Concept)
  WHERE size(descriptors) = 0 AND size(named) = 0
  WITH length(path) AS steps, a,
       [x IN CASE WHEN a IS NULL THEN [] ELSE [a.concept_id] + coalesce(a.xrefs, []) END
        WHERE (x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:') AND NOT split(x, ':')[1] STARTS WITH 'C'] AS theirs
  WITH steps, a, theirs ORDER BY steps, a.concept_id
  WITH collect(CASE WHEN size(theirs) > 0 THEN [steps, theirs] END) AS found
  RETURN reduce(acc = [], f IN found |
           CASE WHEN f[0] = found[0][0] THEN acc + [x IN f[1] WHERE NOT x IN acc] ELSE acc END) AS inherited
}
RETURN k.concept_id AS concept_id,
       CASE WHEN size(descriptors) > 0 THEN own
            ELSE own + [x IN CASE WHEN size(named) > 0 THEN named ELSE inherited END WHERE NOT x IN own]
       END AS mesh_headings
