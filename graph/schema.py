"""Applying `cypher/schema.cypher` idempotently and waiting for its indexes."""

from __future__ import annotations

from neo4j import Driver

from medgraphrag import cypher


class SchemaError(RuntimeError):
    """The stored schema conflicts with the configuration (e.g. another embedding dimension)."""


def apply_schema(driver: Driver, database: str, dimension: int, *, timeout_s: int = 300) -> None:
    """Create every constraint and index that does not exist yet, then wait until all are online."""
    with driver.session(database=database) as session:
        for record in session.run(cypher.load("vector_indexes")):
            if record["dimension"] is not None and int(record["dimension"]) != dimension:
                raise SchemaError(
                    f"vector index {record['name']} holds {record['dimension']}-dimensional embeddings "
                    f"but the embedding model gives {dimension}: use the model the graph was built "
                    "with, or re-ingest into an empty database"
                )
        for statement in cypher.statements("schema"):
            session.run(statement, dimension=dimension).consume()
        session.run(cypher.load("await_indexes"), timeout_s=timeout_s).consume()


def schema_objects(driver: Driver, database: str) -> list[dict[str, object]]:
    """Every index (constraints included, through their backing indexes) with its type and state."""
    with driver.session(database=database) as session:
        return [record.data() for record in session.run(cypher.load("schema_objects"))]
