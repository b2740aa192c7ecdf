UNWIND $pairs AS pair
MATCH (a:Chunk {chunk_id: pair.from}), (b:Chunk {chunk_id: pair.to})
CREATE (a)-[:NEXT]->(b)
