MERGE (s:VocabularySource {source: $source})
SET s.version = $version, s.loaded_at = datetime(), s.concepts = $concepts, s.relations = $relations,
    s.skipped = $skipped, s.key_format = $key_format
