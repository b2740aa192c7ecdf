"""Vocabulary concepts: linking a text to concepts, and one concept with its neighbourhood."""

from __future__ import annotations

from fastapi import APIRouter, Query

from medgraphrag.api.deps import Run, Service, require
from medgraphrag.api.examples import example
from medgraphrag.graph.vocabulary import ConceptDetail
from medgraphrag.ingest.linking import ConceptMatch

router = APIRouter(prefix="/v1/concepts", tags=["concepts"], dependencies=[require("read")])


@router.get("", response_model=list[ConceptMatch], responses=example("concepts"))
async def concepts(
    service: Service,
    run: Run,
    q: str = Query(min_length=1, max_length=500, examples=["heart attack"]),
    type: str | None = Query(None, max_length=100, description="a semantic type, e.g. T047"),
    k: int = Query(10, ge=1, le=100),
) -> list[ConceptMatch]:
    """Vocabulary concepts for a text, best first, with score and how each matched."""
    return await run(service.search_concepts, q, semantic_type=type, k=k)


@router.get("/{concept_id}", response_model=ConceptDetail, responses=example("concept"))
async def concept(concept_id: str, service: Service, run: Run) -> ConceptDetail:
    """A concept with names, cross-references, definition, parents and children."""
    return await run(service.concept, concept_id)
