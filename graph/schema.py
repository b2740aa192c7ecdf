"""The schema of `cypher/schema.cypher`, applied idempotently, and the state of its indexes."""

from __future__ import annotations

from pydantic import BaseModel

from medgraphrag.core.errors import SchemaConflict
from medgraphrag.core.settings import BUNDLED_EMBEDDING_MODEL
from medgraphrag.graph.connection import Connection

# Graphs written before the embedding model was recorded were all embedded with the default then.
LEGACY_EMBEDDING_MODEL = BUNDLED_EMBEDDING_MODEL


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


def apply_schema(connection: Connection, dimension: int, *, model: str | None = None, timeout_s: int = 300) -> None:
    """Complete the graph of a bulk vocabulary import (graph/import_csv.py) if there is one, create
    every constraint and index that does not exist yet, then wait until all are online;
    `SchemaConflict` when the stored vector indexes hold another dimension than `dimension`, or
    (with `model`, the embedding model's name) the stored vectors come from another model."""
    stored = stored_dimension(connection)
    if stored is not None and stored != dimension:
        raise SchemaConflict(
            f"the vector indexes hold {stored}-dimensional embeddings but the embedding model gives {dimension}: "
            "use the model the graph was built with, or re-ingest into an empty database"
        )
    # A bulk import's lists come before its indexes, so that nothing is indexed twice.
    connection.auto_commit("finish_bulk_import")
    connection.statements("schema", dimension=dimension)
    connection.auto_commit("await_indexes", timeout_s=timeout_s)
    if model is not None:
        claim_embedding_model(connection, model)


def claim_embedding_model(connection: Connection, model: str) -> None:
    """Record `model` as the embedding model of the graph's vectors while none are stored;
    `SchemaConflict` when they come from another model (two models of one dimension give vectors
    that cannot be compared, and the vector indexes would not notice)."""
    record = connection.write_one("claim_embedding_model", model=model, legacy=LEGACY_EMBEDDING_MODEL)
    stored = str(record["model"]) if record else model
    if stored != model:
        raise SchemaConflict(
            f"the graph's vectors come from the embedding model {stored} but MEDGRAPH_EMBEDDING_MODEL is {model}: "
            f"set MEDGRAPH_EMBEDDING_MODEL={stored}, or build the graph again in an empty database (another "
            "NEO4J_DATABASE or MEDGRAPH_DATA_DIR): a re-ingest embeds every chunk, entity and tag anew"
        )


def indexes(connection: Connection) -> list[SchemaIndex]:
    """Every index and constraint of the database with its state (ONLINE when usable)."""
    return [SchemaIndex.model_validate(r.data()) for r in connection.read("schema_objects")]
