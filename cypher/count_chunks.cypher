// How many chunks the graph holds (from the count store).
MATCH (c:Chunk) RETURN count(c) AS chunks
