// An ingestion job's JSON and the seconds since it was last written.
MATCH (j:Job {job_id: $job_id})
RETURN j.payload AS payload, duration.inSeconds(j.updated_at, datetime()).seconds AS age_s
