"""Read-only Cypher: your own queries and the saved ones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from medgraphrag.api.deps import Run, Service, require
from medgraphrag.api.examples import example
from medgraphrag.graph.exploration import CypherResult
from medgraphrag.graph.saved_queries import SavedQuery

router = APIRouter(prefix="/v1/cypher", tags=["cypher"], dependencies=[require("read")])


class CypherRequest(BaseModel):
    """A read-only Cypher query and its parameters."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"query": "MATCH (c:Concept {concept_id: $id}) RETURN c.name AS name", "parameters": {"id": "C0011860"}}
            ]
        }
    )

    query: str = Field(min_length=1, max_length=20_000)
    parameters: dict[str, Any] = {}


class SavedQueryRequest(BaseModel):
    """Arguments of a saved query."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"parameters": {"concept_id": "C0011860"}}]})

    parameters: dict[str, Any] = {}


@router.post("", response_model=CypherResult, responses=example("cypher"))
async def cypher(request: CypherRequest, service: Service, run: Run) -> CypherResult:
    """Run a read-only Cypher query with parameters (READ transaction, timeout, row cap); writes,
    schema and administration commands are refused (400)."""
    return await run(service.run_cypher, request.query, request.parameters)


@router.get("/queries", response_model=list[SavedQuery], responses=example("saved_queries"))
async def saved_queries(service: Service, run: Run) -> list[SavedQuery]:
    """The saved exploration queries: name, description, parameters and text."""
    return await run(service.saved_queries)


@router.post("/queries/{name}", response_model=CypherResult, responses=example("cypher"))
async def run_saved(name: str, request: SavedQueryRequest, service: Service, run: Run) -> CypherResult:
    """Run a saved query with its parameters."""
    return await run(service.run_saved_query, name, request.parameters)
