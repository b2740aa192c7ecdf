// Hidden chunks per document: retired ones (to remove), and those each run staged, with the
// seconds since that run wrote its last part (a run that stopped before publishing leaves them).
MATCH (c:Chunk)
WHERE c.state IN ['retired', 'staged']
WITH c.owner AS doc_id, c.state AS state, c.stage_run AS run, max(c.staged_at) AS last_part
RETURN doc_id, state, run,
       CASE WHEN last_part IS NULL THEN 0 ELSE duration.inSeconds(last_part, datetime()).seconds END AS idle_s
