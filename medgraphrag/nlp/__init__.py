"""Language processing shared by ingest and retrieval: sentences, name keys, stop words, the
vocabulary ruler, abbreviations, assertion status and semantic groups."""
