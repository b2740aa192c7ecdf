"""One router per resource: health, query, documents, jobs, concepts, cypher, admin."""
