// Taken first by every transaction that makes tier or SAME_AS links: two runs finishing at once
// take turns, so MERGE finds the other's link instead of making a second one.
MERGE (lock:Marker {name: 'links'})
SET lock.at = datetime()
