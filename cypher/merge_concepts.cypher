// Concepts keyed by concept_id. Loading the same concept again, from the same or another source,
// only adds what is new: names become synonyms, lists are unions, the first definition stays.
UNWIND $concepts AS c
MERGE (n:Concept {concept_id: c.concept_id})
ON CREATE SET n.name = c.name, n.cui = c.cui, n.synonyms = c.synonyms, n.semantic_types = c.semantic_types,
              n.definition = c.definition, n.xrefs = c.xrefs, n.sources = c.sources,
              n.name_keys = c.name_keys
ON MATCH SET
  n.cui = coalesce(n.cui, c.cui),
  n.definition = coalesce(n.definition, c.definition),
  n.synonyms = reduce(acc = n.synonyms, s IN [c.name] + c.synonyms |
                      CASE WHEN s = n.name OR s IN acc THEN acc ELSE acc + s END),
  n.semantic_types = reduce(acc = n.semantic_types, s IN c.semantic_types |
                            CASE WHEN s IN acc THEN acc ELSE acc + s END),
  n.xrefs = reduce(acc = n.xrefs, s IN c.xrefs | CASE WHEN s IN acc THEN acc ELSE acc + s END),
  n.sources = reduce(acc = n.sources, s IN c.sources | CASE WHEN s IN acc THEN acc ELSE acc + s END),
  n.name_keys = reduce(acc = n.name_keys, s IN c.name_keys | CASE WHEN s IN acc THEN acc ELSE acc + s END)
