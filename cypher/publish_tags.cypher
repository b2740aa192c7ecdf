// Publish a rebuilt tree in one write: readers see the old tree until this commits, the new one
// after. No row when the rebuild lost its lease (another rebuild took it over).
MATCH (tree:TagTree {name: 'tags'})
WHERE tree.rebuilding = $generation
SET tree.generation = $generation, tree.rebuilding = null, tree.rebuild_started = null, tree.rebuild_holder = null
RETURN tree.generation AS generation
