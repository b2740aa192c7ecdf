// Whether the database holds any node but the embedding-model record (cypher/claim_embedding_model.cypher).
RETURN EXISTS { MATCH (n) WHERE NOT n:Marker } AS occupied
