// One concept with its parents and (up to $children) children.
MATCH (c:Concept {concept_id: $concept_id})
OPTIONAL MATCH (c)-[:IS_A]->(parent:Concept)
WITH c, collect(DISTINCT parent {.concept_id, .name}) AS parents
OPTIONAL MATCH (child:Concept)-[:IS_A]->(c)
WITH c, parents, collect(DISTINCT child {.concept_id, .name}) AS children
RETURN c {.concept_id, .cui, .name, .synonyms, .semantic_types, .definition, .xrefs, .sources} AS concept,
       parents, children[..$children] AS children, size(children) AS child_count
