// One step of the search for the MeSH headings of concepts (graph/mesh_headings.py). Per concept:
// its own MeSH ids; its IS_A parents; its preferred name's key; and, where it has no descriptor of
// its own (a D id, not a supplementary C id), its namesakes: the other concepts that have its
// preferred name among their names, each with its ids and parents.
UNWIND $concept_ids AS concept_id
MATCH (k:Concept {concept_id: concept_id})
WITH k, [x IN [k.concept_id] + coalesce(k.xrefs, []) WHERE x STARTS WITH 'MESH:' OR x STARTS WITH 'MSH:'] AS own
CALL (k, own) {
  WITH k WHERE all(x IN own WHERE split(x, ':')[1] STARTS WITH 'C') AND size(coalesce(k.name_keys, [])) > 0
  // Name keys hold only [a-z0-9 ^$]: the quoted key is a safe full-text phrase.
  CALL db.index.fulltext.queryNodes('concept_names', '"' + k.name_keys[0] + '"', {limit: 20}) YIELD node
  WITH k, node WHERE node <> k AND k.name_keys[0] IN node.name_keys
  OPTIONAL MATCH (node)-[:IS_A]->(parent:Concept)
  WITH node, collect(parent.concept_id) AS parents
  RETURN collect({concept_id: node.concept_id, ids: [node.concept_id] + coalesce(node.xrefs, []), parents: parents})
         AS namesakes
}
CALL (k) {
  OPTIONAL MATCH (k)-[:IS_A]->(parent:Concept)
  RETURN collect(parent.concept_id) AS parents
}
RETURN k.concept_id AS concept_id, own, parents, namesakes, coalesce(k.name_keys, [])[0] AS key
