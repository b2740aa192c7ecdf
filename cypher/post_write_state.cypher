// Whether document writes left post-write work, and the writes' version when asked.
OPTIONAL MATCH (m:Marker {name: 'writes'})
RETURN coalesce(m.pending, false) AS pending, coalesce(m.version, 0) AS version
