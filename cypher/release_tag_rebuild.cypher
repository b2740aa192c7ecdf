// Give up the rebuild lease of a failed rebuild (if it still holds it).
MATCH (tree:TagTree {name: 'tags'})
WHERE tree.rebuilding = $generation
SET tree.rebuilding = null, tree.rebuild_started = null, tree.rebuild_holder = null
