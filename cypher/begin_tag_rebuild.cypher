// Take the rebuild lease: the next generation number, unless another rebuild holds a lease that
// is younger than $stale_after_s seconds and is not $takeover (a holder known to have stopped);
// then no row. The MERGE locks the tree node, so two rebuilds starting at once take turns and the
// second finds the first's lease.
MERGE (tree:TagTree {name: 'tags'})
WITH tree
WHERE tree.rebuilding IS NULL
   OR tree.rebuild_started < datetime() - duration({seconds: $stale_after_s})
   OR tree.rebuild_holder = $takeover
WITH tree, coalesce(tree.generation, 0) AS published, coalesce(tree.rebuilding, 0) AS abandoned
SET tree.rebuilding = CASE WHEN published > abandoned THEN published ELSE abandoned END + 1,
    tree.rebuild_started = datetime(),
    tree.rebuild_holder = $holder
RETURN tree.rebuilding AS generation
