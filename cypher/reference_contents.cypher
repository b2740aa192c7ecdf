// For each concept: its definition and what reference-tier entities standing for it say.
UNWIND $concept_ids AS id
MATCH (c:Concept {concept_id: id})
OPTIONAL MATCH (c)<-[:DEFINITION_OF]-(r:Entity {tier: 'reference'})
RETURN id AS concept_id, c.definition AS definition, collect(r.context)[..$k] AS contexts
