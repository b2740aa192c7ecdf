// Entities that no chunk mentions any more, with their links, relations and meta-graph membership.
UNWIND $entity_ids AS id
MATCH (e:Entity {entity_id: id})
WHERE NOT ()-[:MENTIONS]->(e)
DETACH DELETE e
RETURN count(*) AS removed
