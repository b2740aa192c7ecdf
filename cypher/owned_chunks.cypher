// Up to $limit chunks a document owns in one state (staged: not yet published, by run $run when
// given; retired: replaced or deleted).
MATCH (c:Chunk {owner: $doc_id})
WHERE c.state = $state AND ($run IS NULL OR c.stage_run = $run)
RETURN collect(c.chunk_id)[..$limit] AS chunk_ids
