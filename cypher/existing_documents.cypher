// What is stored of the given documents, to skip unchanged ones before any work is done.
UNWIND $doc_ids AS doc_id
MATCH (d:Document {doc_id: doc_id})
RETURN d.doc_id AS doc_id, d.sha256 AS sha256, d.fingerprint AS fingerprint, d.tier AS tier,
       coalesce(d.chunk_count, 0) AS chunks
