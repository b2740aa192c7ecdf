// Vocabulary relations between pairs of concepts (either direction), to type co-occurrences.
UNWIND $pairs AS p
MATCH (a:Concept {concept_id: p.a})-[r:IS_A|CONCEPT_REL]-(b:Concept {concept_id: p.b})
RETURN p.a AS a, p.b AS b, type(r) AS kind, r.rela AS rela, r.rel AS rel, startNode(r) = a AS forward
