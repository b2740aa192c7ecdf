// The published tag tree's generation (0: a tree from before generations, or none), and the
// generation being built with the holder of its lease, if a rebuild holds one.
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
RETURN coalesce(tree.generation, 0) AS generation, tree.rebuilding AS rebuilding, tree.rebuild_holder AS holder
