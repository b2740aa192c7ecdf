"""The schema of `cypher/schema.cypher`, applied idempotently, and the state of its indexes."""

from __future__ import annotations

from pydantic import BaseModel

from medgraphrag.core.errors import SchemaConflict
from medgraphrag.graph.connection import Connection


class SchemaIndex(BaseModel):
    """An index (constraints included, through their backing indexes) with its type and state."""

    name: str
    type: str
    state: str
    labelsOrTypes: list[str] | None = None  # noqa: N815 - Neo4j's own column name
    properties: list[str] | None = None


def stored_dimension(connection: Connection) -> int | None:
    """The dimension of the stored vector indexes (None when there are none); `SchemaConflict` if
    they disagree among themselves."""
    dimensions = {int(r["dimension"]) for r in connection.read("vector_indexes") if r["dimension"] is not None}
    if len(dimensions) > 1:
        raise SchemaConflict(
            f"the vector indexes hold embeddings of {sorted(dimensions)} dimensions: re-ingest into an empty database"
        )
    return dimensions.pop() if dimensions else None


def apply_schema(connection: Connection, dimension: int, *, timeout_s: int = 300) -> None:
    """Create every constraint and index that does not exist yet, then wait until all are online;
    `SchemaConflict` when the stored vector indexes hold another dimension than `dimension`."""
    stored = stored_dimension(connection)
    if stored is not None and stored != dimension:
        raise SchemaConflict(
            f"the vector indexes hold {stored}-dimensional embeddings but the embedding model gives {dimension}: "
            "use the model the graph was built with, or re-ingest into an empty database"
        )
    connection.statements("schema", dimension=dimension)
    connection.auto_commit("await_indexes", timeout_s=timeout_s)


def indexes(connection: Connection) -> list[SchemaIndex]:
    """Every index and constraint of the database with its state (ONLINE when usable)."""
    return [SchemaIndex.model_validate(r.data()) for r in connection.read("schema_objects")]
