"""Ingestion jobs: their status, progress per stage and report."""

from __future__ import annotations

from fastapi import APIRouter

from medgraphrag.api.deps import Jobs, Run, require
from medgraphrag.api.examples import example
from medgraphrag.jobs import Job

router = APIRouter(prefix="/v1/jobs", tags=["documents"], dependencies=[require("ingest")])


@router.get("/{job_id}", response_model=Job, responses=example("job"))
async def job(job_id: str, jobs: Jobs, run: Run) -> Job:
    """An ingestion job (from whichever server process runs it): status, progress per stage, and
    the report when done."""
    return await run(jobs.get, job_id)
