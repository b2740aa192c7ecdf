// Concepts found through one of the concept full-text indexes ($index is concept_keys or concept_name).
CALL db.index.fulltext.queryNodes($index, $query, {limit: $limit}) YIELD node, score
RETURN node.concept_id AS concept_id, node.cui AS cui, node.name AS name, node.synonyms AS synonyms,
       node.semantic_types AS semantic_types, node.sources AS sources, score
