// Taken first by a transaction that adds leaves to the published tree: the write lock on the tree
// node makes two runs attaching the same new meta-graphs take turns, so the second finds each
// leaf attached (and adds no second parent, counts no meta-graph twice).
MERGE (tree:TagTree {name: 'tags'})
SET tree.attached_at = datetime()
