// name: document-entities
// description: the entities a document's chunks mention, with mention counts, the concept each stands for (DEFINITION_OF), its links to the other document tier (REFERENCE_OF) and its near-duplicates (SAME_AS)
// param: doc_id (string) a document id (see `medgraph documents list`)
// param: limit (integer, default 100) entities at most
MATCH (:Document {doc_id: $doc_id})-[:HAS_CHUNK]->(:Chunk)-[m:MENTIONS]->(e:Entity)
WITH e, count(m) AS mentions, sum(CASE m.status WHEN 'negated' THEN 1 ELSE 0 END) AS negated
ORDER BY mentions DESC, e.name
LIMIT $limit
OPTIONAL MATCH (e)-[link:DEFINITION_OF]->(c:Concept)
RETURN e.name AS entity, e.type AS type, e.tier AS tier, mentions, negated, c.concept_id AS concept_id,
       c.name AS concept, link.method AS concept_link,
       [(e)-[r:REFERENCE_OF]-(o:Entity) | o.name + ' (' + o.tier + ', ' + r.method + ' ' + toString(round(r.score, 2)) + ')']
         AS references,
       [(e)-[s:SAME_AS]-(o:Entity) | o.name + ' (' + toString(round(s.score, 2)) + ')'] AS same_as
ORDER BY mentions DESC, entity
