"""The graph store: the only code that runs Cypher (`GraphStore` and its parts), the schema, the
vocabulary readers and the Neo4j server helpers."""
