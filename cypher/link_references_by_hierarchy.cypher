// REFERENCE_OF through the vocabulary's hierarchy, for user-tier entities whose own concept no
// reference entity stands for: to reference entities of a parent or child concept (one IS_A hop).
MATCH (u:Entity {tier: 'user'})-[:DEFINITION_OF]->(c:Concept)
WHERE NOT EXISTS { (u)-[l:REFERENCE_OF]->() WHERE l.method = 'concept' }
MATCH (c)-[:IS_A]-(:Concept)<-[:DEFINITION_OF]-(r:Entity {tier: 'reference'})
MERGE (u)-[l:REFERENCE_OF]->(r)
ON CREATE SET l.method = 'hierarchy', l.score = $score
RETURN count(DISTINCT l) AS links
