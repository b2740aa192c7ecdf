// Clear the post-write marker, unless a write came after the work began (then it stays).
MATCH (m:Marker {name: 'writes'})
WHERE m.version = $version
SET m.pending = false
RETURN m.version AS version
