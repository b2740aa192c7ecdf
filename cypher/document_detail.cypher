// One document: its properties, chunk count, and the entities its chunks mention, each with its
// mention counts (all, and those with each assertion flag), concept and links to the other tier.
// Mentions written before the flags existed have only a status: it stands in for its flag.
MATCH (d:Document {doc_id: $doc_id})
OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
WITH d, e, count(m) AS mentions,
     sum(CASE WHEN coalesce(m.negated, m.status = 'negated') THEN 1 ELSE 0 END) AS negated,
     sum(CASE WHEN coalesce(m.uncertain, m.status = 'uncertain') THEN 1 ELSE 0 END) AS uncertain,
     sum(CASE WHEN coalesce(m.historical, false) THEN 1 ELSE 0 END) AS historical,
     sum(CASE WHEN coalesce(m.family, false) THEN 1 ELSE 0 END) AS family,
     sum(CASE WHEN coalesce(m.conditional, false) THEN 1 ELSE 0 END) AS conditional,
     collect(m.surface)[0] AS surface
OPTIONAL MATCH (e)-[def:DEFINITION_OF]->(concept:Concept)
OPTIONAL MATCH (e)-[ref:REFERENCE_OF]-(other:Entity)
WITH d, e, mentions, negated, uncertain, historical, family, conditional, surface, concept, def,
     collect(DISTINCT CASE WHEN other IS NULL THEN NULL
             ELSE {entity_id: other.entity_id, name: other.name, tier: other.tier, method: ref.method,
                   score: ref.score} END)[..5] AS references
ORDER BY mentions DESC, e.name
WITH d, collect(CASE WHEN e IS NULL THEN NULL ELSE {
  entity_id: e.entity_id, name: e.name, type: e.type, surface: surface, mentions: mentions, negated: negated,
  uncertain: uncertain, historical: historical, family: family, conditional: conditional,
  concept_id: concept.concept_id, concept_name: concept.name, link_method: def.method,
  references: references} END) AS entities
RETURN properties(d) AS document, entities,
       COUNT { (d)-[:HAS_CHUNK]->(:Chunk) } AS chunks,
       COUNT { MATCH (d)-[:HAS_CHUNK]->(:Chunk)<-[:FROM_CHUNK]-(g:MetaGraph)
               MATCH ()-[r:RELATED]->() WHERE r.graph_id = g.graph_id } AS relations
