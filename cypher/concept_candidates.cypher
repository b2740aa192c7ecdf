// Concepts whose normalized name keys match a full-text query (graph/vocab/names.py), with every
// UMLS CUI each stands for: its own, then those of its `UMLS:` cross-references.
CALL db.index.fulltext.queryNodes('concept_names', $query, {limit: $limit}) YIELD node, score
RETURN node.concept_id AS concept_id, node.cui AS cui, node.name AS name, node.synonyms AS synonyms,
       node.name_keys AS name_keys, node.semantic_types AS semantic_types, node.sources AS sources,
       [c IN [node.cui] WHERE c IS NOT NULL] + [x IN node.xrefs WHERE x STARTS WITH 'UMLS:' | substring(x, 5)] AS cuis,
       score
