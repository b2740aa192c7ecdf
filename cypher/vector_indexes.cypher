// The vector indexes that exist, with their dimension, to detect an embedding model change.
SHOW VECTOR INDEXES YIELD name, options
RETURN name, options.indexConfig.`vector.dimensions` AS dimension
