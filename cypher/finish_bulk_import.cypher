// Concepts a bulk import wrote with an empty list (graph/import_csv.py: the import tool writes no
// empty list) get their empty lists, as the streaming loader stores them, and lose the mark.
MATCH (c:BulkImportPending)
CALL (c) {
  SET c.synonyms = coalesce(c.synonyms, []), c.semantic_types = coalesce(c.semantic_types, []),
      c.xrefs = coalesce(c.xrefs, []), c.sources = coalesce(c.sources, []),
      c.name_keys = coalesce(c.name_keys, [])
  REMOVE c:BulkImportPending
} IN TRANSACTIONS OF 10000 ROWS
