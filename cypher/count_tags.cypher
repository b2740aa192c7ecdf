// How many tags the graph holds.
MATCH (t:Tag) RETURN count(t) AS tags
