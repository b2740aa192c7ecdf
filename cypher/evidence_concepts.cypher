// The concepts of an answer's evidence graph, by id: names, types, sources and definitions.
UNWIND $concept_ids AS id
MATCH (c:Concept {concept_id: id})
RETURN c {.concept_id, .name, .semantic_types, .sources, .definition} AS concept
