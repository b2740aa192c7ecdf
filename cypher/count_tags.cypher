// How many tags the published tree holds.
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
WITH coalesce(tree.generation, 0) AS generation
MATCH (t:Tag)
WHERE coalesce(t.generation, 0) = generation
RETURN count(t) AS tags
