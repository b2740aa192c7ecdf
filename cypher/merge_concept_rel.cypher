// rel and rela are part of the relationship's identity; a missing RELA is stored as ''.
UNWIND $relations AS r
MATCH (a:Concept {concept_id: r.source_id}), (b:Concept {concept_id: r.target_id})
MERGE (a)-[:CONCEPT_REL {rel: r.rel, rela: r.rela, source: r.source}]->(b)
