UNWIND $relations AS r
MATCH (child:Concept {concept_id: r.source_id}), (parent:Concept {concept_id: r.target_id})
MERGE (child)-[x:IS_A]->(parent)
ON CREATE SET x.sources = [r.source]
ON MATCH SET x.sources = CASE WHEN r.source IN x.sources THEN x.sources ELSE x.sources + r.source END
