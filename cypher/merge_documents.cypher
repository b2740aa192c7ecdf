UNWIND $documents AS d
MERGE (doc:Document {doc_id: d.doc_id})
SET doc += d.properties, doc.ingested_at = datetime()
