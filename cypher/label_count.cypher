// $label comes from the fixed label set of medgraphrag.graph.model.
MATCH (n:$($label)) RETURN count(n) AS count
