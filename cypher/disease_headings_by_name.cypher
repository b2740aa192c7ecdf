// Per name (`key`; `indexed` as `name_keys` holds it, `phrase` the full-text phrase that finds it),
// the concepts bearing it that belong to MeSH's disease trees (C), each with its ids
// (graph/mesh_headings.py: the heading a concept's head names).
UNWIND $names AS name
CALL db.index.fulltext.queryNodes('concept_names', name.phrase, {limit: 20}) YIELD node
WITH name, node
WHERE name.indexed IN node.name_keys AND any(t IN coalesce(node.semantic_types, []) WHERE t STARTS WITH 'MESHTREE:C')
RETURN name.key AS key, node.concept_id AS concept_id, [node.concept_id] + coalesce(node.xrefs, []) AS ids
ORDER BY key, concept_id
