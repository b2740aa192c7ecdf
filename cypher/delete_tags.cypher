// The tags of every generation but the published one and the one being built: an old
// tree after a rebuild was published, or the partial tree of a rebuild that failed.
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
WITH coalesce(tree.generation, 0) AS published, coalesce(tree.rebuilding, -1) AS building
MATCH (t:Tag)
WHERE NOT coalesce(t.generation, 0) IN [published, building]
CALL (t) { DETACH DELETE t } IN TRANSACTIONS OF 10000 ROWS
