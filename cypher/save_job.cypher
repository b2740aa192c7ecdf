// Create or replace an ingestion job (its JSON); `updated_at` is the running job's heartbeat.
MERGE (j:Job {job_id: $job_id})
SET j.payload = $payload, j.submitted_at = $submitted_at, j.finished = $finished, j.updated_at = datetime()
