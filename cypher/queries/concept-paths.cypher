// name: concept-paths
// description: the shortest evidence paths (6 hops at most) between two concepts, through the vocabulary (IS_A, CONCEPT_REL) and the entities that stand for concepts (DEFINITION_OF, RELATED, REFERENCE_OF, SAME_AS)
// param: from_id (string) the first concept: a CUI or prefixed id
// param: to_id (string) the second concept: a CUI or prefixed id
// param: limit (integer, default 10) paths at most
MATCH (a:Concept {concept_id: $from_id}), (b:Concept {concept_id: $to_id})
WHERE a <> b
MATCH p = allShortestPaths((a)-[:IS_A|CONCEPT_REL|DEFINITION_OF|RELATED|REFERENCE_OF|SAME_AS*..6]-(b))
WITH p, [n IN nodes(p) | CASE WHEN n:Concept THEN n.name + ' [' + n.concept_id + ']'
                              ELSE n.name + ' (' + coalesce(n.tier, '?') + ' entity)' END] AS names
LIMIT $limit
WITH p, names, relationships(p) AS rels
RETURN length(p) AS hops,
       reduce(text = names[0], i IN range(0, size(rels) - 1) |
              text + CASE startNode(rels[i]) WHEN nodes(p)[i] THEN ' -[' ELSE ' <-[' END + type(rels[i])
              + coalesce(' ' + coalesce(rels[i].phrase, rels[i].rela), '')
              + CASE startNode(rels[i]) WHEN nodes(p)[i] THEN ']-> ' ELSE ']- ' END + names[i + 1]) AS path,
       [r IN rels WHERE r.chunk_id IS NOT NULL | r.chunk_id] AS evidence_chunks
ORDER BY hops, path
