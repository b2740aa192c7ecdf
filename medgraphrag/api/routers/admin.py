"""Administration: rebuilding the tag tree."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from medgraphrag.api.deps import Run, Service, require
from medgraphrag.api.examples import example

router = APIRouter(prefix="/v1", tags=["admin"], dependencies=[require("admin")])


class TagRebuild(BaseModel):
    """A rebuilt tag tree: tags new per layer (leaves first), seconds taken, generation published."""

    layers: list[int]
    seconds: float
    generation: int


@router.post("/tags/rebuild", response_model=TagRebuild, responses=example("tags"))
async def rebuild_tags(service: Service, run: Run) -> TagRebuild:
    """Rebuild the tag tree from every meta-graph; questions meanwhile see the previous tree (409
    while another rebuild runs)."""
    tree = await run(service.rebuild_tags)
    return TagRebuild(layers=tree.layers, seconds=round(tree.seconds, 2), generation=tree.generation)
