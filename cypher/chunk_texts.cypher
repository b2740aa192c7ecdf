// Every stored chunk's text, in a stable order.
MATCH (c:Chunk) RETURN c.text AS text ORDER BY c.chunk_id
