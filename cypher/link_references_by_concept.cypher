// REFERENCE_OF from user-tier to reference-tier entities that stand for the same concept.
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})-[:DEFINITION_OF]->(:Concept)<-[:DEFINITION_OF]-(o:Entity)
WHERE e.tier <> o.tier
WITH CASE e.tier WHEN 'user' THEN e ELSE o END AS u, CASE e.tier WHEN 'user' THEN o ELSE e END AS r
MERGE (u)-[l:REFERENCE_OF]->(r)
ON CREATE SET l.method = 'concept', l.score = 1.0
RETURN count(DISTINCT l) AS links
