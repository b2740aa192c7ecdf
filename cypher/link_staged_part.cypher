// NEXT from the last chunk of the part this run staged before to the first chunk of this part.
MATCH (previous:Chunk {owner: $doc_id})
WHERE previous.state = 'staged' AND previous.stage_run = $run AND previous.staged_ord = $first_ord - 1
MATCH (first:Chunk {chunk_id: $first})
CREATE (previous)-[:NEXT]->(first)
