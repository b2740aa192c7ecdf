// Per loaded source: what was recorded at load, and what the graph holds now.
MATCH (s:VocabularySource)
CALL (s) {
  MATCH (c:Concept) WHERE s.source IN c.sources
  RETURN count(c) AS concepts_now
}
RETURN s.source AS source, s.version AS version, toString(s.loaded_at) AS loaded_at,
       s.concepts AS concepts, s.relations AS relations, s.skipped AS skipped, concepts_now,
       s.key_format AS key_format
ORDER BY source
