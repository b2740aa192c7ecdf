"""From files to graph records: loaders, chunking and the ingest pipeline."""
