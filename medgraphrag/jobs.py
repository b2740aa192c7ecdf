"""Background ingestion jobs: one at a time, in submission order, each with its progress and outcome."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from medgraphrag.progress import ProgressEvent
from medgraphrag.service import MedGraph

JobStatus = Literal["queued", "running", "done", "failed"]


class StageProgress(BaseModel):
    """How far one stage of the ingest is (files read, documents built, links, tags)."""

    done: int
    total: int


class Job(BaseModel):
    """An ingestion job as the API reports it."""

    job_id: str
    status: JobStatus
    tier: str
    files: list[str]
    submitted_at: str
    finished_at: str | None = None
    progress: dict[str, StageProgress] = {}
    report: dict[str, object] | None = None
    error: str | None = None


class IngestJobs:
    """Runs ingests in a background thread, one after another, and keeps every job's state."""

    def __init__(self, service: MedGraph) -> None:
        self._service = service
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")

    def submit(self, paths: list[Path], tier: str) -> Job:
        """Queue an ingest of `paths` into `tier`; returns the job (status `queued`)."""
        job = Job(job_id=uuid.uuid4().hex, status="queued", tier=tier, files=[p.name for p in paths],
                  submitted_at=_now())
        with self._lock:
            self._jobs[job.job_id] = job
        self._worker.submit(self._run, job.job_id, paths, tier)
        return job

    def get(self, job_id: str) -> Job | None:
        """A job's current state, or None if there is no such job."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def close(self) -> None:
        """Wait for the running job and stop the worker."""
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _run(self, job_id: str, paths: list[Path], tier: str) -> None:
        self._update(job_id, status="running")

        def on_progress(event: ProgressEvent) -> None:
            with self._lock:
                self._jobs[job_id].progress[event.stage] = StageProgress(done=event.done, total=event.total)

        try:
            report = self._service.ingest(paths, tier=tier, on_progress=on_progress)
        except Exception as exc:  # the job records any failure; the server keeps serving
            self._update(job_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=_now())
            return
        summary = asdict(report)
        summary["errors"] = [{"path": Path(e.path).name, "reason": e.reason} for e in report.errors]
        self._update(job_id, status="done", report=summary, finished_at=_now())

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            self._jobs[job_id] = self._jobs[job_id].model_copy(update=changes)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
