// The Document nodes themselves (their content is removed first by delete_document_content).
UNWIND $doc_ids AS doc_id
MATCH (d:Document {doc_id: doc_id})
DETACH DELETE d
RETURN count(*) AS deleted
