// What identifies the loaded vocabulary: each source's version, load time and size as recorded.
MATCH (s:VocabularySource)
RETURN s.source AS source, s.version AS version, toString(s.loaded_at) AS loaded_at, s.concepts AS concepts
ORDER BY source
