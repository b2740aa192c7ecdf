// Every concept's normalized names (the first is its preferred name's), for the extraction lexicon.
MATCH (c:Concept)
RETURN c.concept_id AS concept_id, c.cui AS cui, c.name AS name, c.name_keys AS name_keys,
       c.semantic_types AS semantic_types, c.sources AS sources, c.xrefs AS xrefs
