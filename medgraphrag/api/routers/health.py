"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from medgraphrag.api.deps import Run, Service
from medgraphrag.api.examples import example
from medgraphrag.graph.inventory import GraphStatus

router = APIRouter(tags=["health"])


class Health(GraphStatus):
    """Service health: Neo4j's version and node counts by label."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """Ready when Neo4j answers and every index of the schema is online."""

    status: Literal["ready"]
    indexes: int


@router.get("/healthz", response_model=Health, responses=example("healthz"))
async def healthz(service: Service, run: Run) -> Health:
    """Live when Neo4j answers: its version and node counts by label."""
    status = await run(service.health)
    return Health(status="ok", **status.model_dump())


@router.get("/readyz", response_model=Readiness, responses=example("readyz"))
async def readyz(service: Service, run: Run) -> Readiness:
    """Ready when Neo4j answers and the schema's indexes are online (503 otherwise)."""
    indexes = await run(service.schema_status)
    offline = [i.name for i in indexes if i.state != "ONLINE"]
    if not indexes or offline:
        raise HTTPException(503, f"schema not ready: {', '.join(offline) or 'no indexes'}")
    return Readiness(status="ready", indexes=len(indexes))
