// Publish a rebuilt tree in one write: readers see the old tree until this commits, the new one
// after. No row when the rebuild lost its lease (another rebuild took it over); `retiring` says
// whether there was an old tree that a reader may still be walking.
MATCH (tree:TagTree {name: 'tags'})
WHERE tree.rebuilding = $generation
WITH tree, coalesce(tree.generation, 0) AS previous
SET tree.generation = $generation, tree.rebuilding = null, tree.rebuild_started = null, tree.rebuild_holder = null
RETURN tree.generation AS generation,
       EXISTS { MATCH (old:Tag) WHERE coalesce(old.generation, 0) = previous } AS retiring
