// The tags of one generation (a rebuild that failed or lost its lease).
MATCH (t:Tag {generation: $generation})
CALL (t) { DETACH DELETE t } IN TRANSACTIONS OF 10000 ROWS
