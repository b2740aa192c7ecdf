// One document: its properties, chunk count, and the entities its chunks mention, each with its
// mention counts, concept and links to the other tier.
MATCH (d:Document {doc_id: $doc_id})
OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
WITH d, e, count(m) AS mentions, sum(CASE m.status WHEN 'negated' THEN 1 ELSE 0 END) AS negated,
     sum(CASE m.status WHEN 'uncertain' THEN 1 ELSE 0 END) AS uncertain, collect(m.surface)[0] AS surface
OPTIONAL MATCH (e)-[def:DEFINITION_OF]->(concept:Concept)
OPTIONAL MATCH (e)-[ref:REFERENCE_OF]-(other:Entity)
WITH d, e, mentions, negated, uncertain, surface, concept, def,
     collect(DISTINCT CASE WHEN other IS NULL THEN NULL
             ELSE {entity_id: other.entity_id, name: other.name, tier: other.tier, method: ref.method,
                   score: ref.score} END)[..5] AS references
ORDER BY mentions DESC, e.name
WITH d, collect(CASE WHEN e IS NULL THEN NULL ELSE {
  entity_id: e.entity_id, name: e.name, type: e.type, surface: surface, mentions: mentions, negated: negated,
  uncertain: uncertain, concept_id: concept.concept_id, concept_name: concept.name, link_method: def.method,
  references: references} END) AS entities
RETURN properties(d) AS document, entities,
       COUNT { (d)-[:HAS_CHUNK]->(:Chunk) } AS chunks,
       COUNT { MATCH (d)-[:HAS_CHUNK]->(:Chunk)<-[:FROM_CHUNK]-(g:MetaGraph)
               MATCH ()-[r:RELATED]->() WHERE r.graph_id = g.graph_id } AS relations
