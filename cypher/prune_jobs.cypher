// The finished jobs older than the $keep most recently submitted ones (unfinished ones stay).
MATCH (j:Job)
WITH j ORDER BY j.submitted_at DESC, j.job_id
SKIP $keep
WITH j WHERE j.finished
DETACH DELETE j
RETURN count(*) AS deleted
