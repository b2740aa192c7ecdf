// The names a question's concepts go by in the vocabulary, for query expansion: each concept's
// preferred name and synonyms, and the names of its nearest kin through IS_A (children, then
// parents), a bounded number of each. One row of lists.
UNWIND $concept_ids AS id
MATCH (c:Concept {concept_id: id})
OPTIONAL MATCH (child:Concept)-[:IS_A]->(c)
WITH c, collect(child.name)[..$kin] AS children
OPTIONAL MATCH (c)-[:IS_A]->(parent:Concept)
WITH c, children, collect(parent.name)[..$kin] AS parents
WITH collect(c.name) AS names, collect(coalesce(c.synonyms, [])[..$synonyms]) AS synonym_lists,
     collect(children + parents) AS kin_lists
RETURN names + reduce(acc = [], s IN synonym_lists | acc + s) AS synonyms,
       reduce(acc = [], k IN kin_lists | acc + k) AS kin
