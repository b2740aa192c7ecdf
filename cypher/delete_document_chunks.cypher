// Remove the chunks of documents that are about to be rewritten.
UNWIND $doc_ids AS doc_id
MATCH (:Document {doc_id: doc_id})-[:HAS_CHUNK]->(c:Chunk)
DETACH DELETE c
