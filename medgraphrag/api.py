"""The HTTP API: a thin FastAPI layer over `MedGraph`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from medgraphrag.graph.connection import GraphUnavailable
from medgraphrag.llm import LLMError
from medgraphrag.retrieval.evidence import Answer
from medgraphrag.service import MedGraph
from medgraphrag.settings import Settings


class QueryRequest(BaseModel):
    """A question and how much evidence to gather for it."""

    question: str = Field(min_length=1, max_length=4000, description="the question")
    k: int = Field(5, ge=1, le=50, description="chunks of evidence")
    tier: Literal["user", "reference"] | None = Field(None, description="only evidence of this tier")
    mode: Literal["u-retrieve", "hybrid", "vector", "fulltext"] = Field(
        "u-retrieve", description="u-retrieve (tags top-down, entities bottom-up) or a chunk search alone")


class Health(BaseModel):
    """Service health: Neo4j version and node counts by label."""

    status: Literal["ok"]
    neo4j: str
    edition: str
    database: str
    counts: dict[str, int]


def create_app(settings: Settings | None = None, *, service: MedGraph | None = None) -> FastAPI:
    """The API application over one shared `MedGraph` (created from `settings` if not given)."""
    shared = service or MedGraph(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        shared.close()

    app = FastAPI(title="medgraphrag", version="0.1.0", lifespan=lifespan,
                  description="Medical GraphRAG on Neo4j: answers with every claim cited.")

    @app.exception_handler(GraphUnavailable)
    async def graph_unavailable(request: Request, exc: GraphUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        """Ready when Neo4j answers and the schema is in place."""
        return Health(status="ok", **shared.health())  # type: ignore[arg-type]

    @app.post("/v1/query", response_model=Answer)
    def query(request: QueryRequest) -> Answer:
        """Answer a question from the graph; every claim cites numbered evidence (a chunk span or a
        concept), and the answer carries its trace."""
        try:
            return shared.query(request.question, k=request.k, tier=request.tier, mode=request.mode)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        except LLMError as exc:
            raise HTTPException(status_code=502, detail=f"the answer model failed: {exc}") from exc

    @app.get("/v1/documents")
    def documents(
        tier: Literal["user", "reference"] | None = None, skip: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, object]]:
        """Stored documents by source: id, tier, title, source, external id, chunks, ingest time."""
        return shared.documents(tier=tier, skip=skip, limit=limit)

    @app.get("/v1/documents/{doc_id}")
    def document(doc_id: str) -> dict[str, object]:
        """A document with its entities, their concepts, negated mentions and links to the other tier."""
        detail = shared.document(doc_id)
        if detail is None:
            raise HTTPException(status_code=404, detail=f"no document {doc_id}")
        return detail

    @app.delete("/v1/documents/{doc_id}")
    def delete_document(doc_id: str) -> dict[str, int]:
        """Delete a document and what only it supported; shared entities keep their other provenance."""
        deletion = shared.delete_documents([doc_id])
        if deletion.documents == 0:
            raise HTTPException(status_code=404, detail=f"no document {doc_id}")
        return {"documents": deletion.documents, "entities_removed": deletion.entities_removed,
                "entities_kept": deletion.entities_kept}

    return app
