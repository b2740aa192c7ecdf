// Record the embedding model of the graph's vectors, and return the model they come from. While no
// chunk, entity or tag holds a vector, the model is free to change: the record takes $model. A graph
// with vectors but no record was written before models were recorded, with $legacy.
WITH EXISTS { MATCH (c:Chunk) WHERE c.embedding IS NOT NULL }
  OR EXISTS { MATCH (e:Entity) WHERE e.embedding IS NOT NULL }
  OR EXISTS { MATCH (t:Tag) WHERE t.embedding IS NOT NULL } AS embedded
MERGE (m:Marker {name: 'embedding'})
ON CREATE SET m.model = CASE WHEN embedded THEN $legacy ELSE $model END
WITH m, embedded
SET m.model = CASE WHEN embedded THEN m.model ELSE $model END
RETURN m.model AS model
