"""Neo4j: connection, schema, writers and the local server."""
