"""Background ingestion jobs: run one at a time by the process that accepted them, kept in Neo4j.

Every change of a job (queued, progress, done or failed with its report) is written to the graph
store, so any server process answers for any job. While a process holds unfinished jobs it
rewrites them every `HEARTBEAT_S` seconds; a job that was not written for `STALE_AFTER_S` seconds
belonged to a process that stopped, and reads as failed.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from medgraphrag.core.errors import MedGraphError, NotFound
from medgraphrag.core.ids import DocumentTier
from medgraphrag.core.progress import ProgressEvent
from medgraphrag.ingest.pipeline import IngestError, IngestReport
from medgraphrag.service import MedGraph

JobStatus = Literal["queued", "running", "done", "failed"]
HEARTBEAT_S = 15.0
STALE_AFTER_S = 120.0
# Progress is written at most this often (and at the end of every stage).
PROGRESS_INTERVAL_S = 0.5

log = logging.getLogger(__name__)


class StageProgress(BaseModel):
    """How far one stage of the ingest is (files read, documents built, links, tags)."""

    done: int
    total: int


class Job(BaseModel):
    """An ingestion job: its files, status, progress per stage, and the report or error at the end."""

    job_id: str
    status: JobStatus
    tier: DocumentTier
    files: list[str]
    submitted_at: str
    finished_at: str | None = None
    progress: dict[str, StageProgress] = {}
    report: IngestReport | None = Field(None, description="what the ingest did (file names without their folders)")
    error: str | None = None


class IngestJobs:
    """Runs ingests in a background thread, one after another, recording each job in the store."""

    def __init__(self, service: MedGraph, *, keep: int) -> None:
        self._service = service
        self._keep = keep
        self._held: dict[str, Job] = {}  # this process's unfinished jobs
        self._folders: dict[str, Path] = {}  # the folders unfinished jobs own
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True)
        self._heartbeat.start()

    def submit(
        self,
        paths: list[Path],
        tier: DocumentTier,
        *,
        names: Mapping[Path, str] | None = None,
        folder: Path | None = None,
    ) -> Job:
        """Queue an ingest of `paths` into `tier`; returns the job (status `queued`). `names` gives
        files the stable source name they are known by (`MedGraph.ingest`); `folder`, if given, is
        the job's own: it is deleted when the job ends, or at once if the job cannot be queued."""
        names = dict(names or {})
        files = [PurePosixPath(names[p]).name if p in names else p.name for p in paths]
        job = Job(job_id=uuid.uuid4().hex, status="queued", tier=tier, files=files, submitted_at=_now())
        try:
            with self._lock:
                self._held[job.job_id] = job
                if folder is not None:
                    self._folders[job.job_id] = folder
            self._save(job)
            self._service.store.jobs.prune(keep=self._keep)
            self._worker.submit(self._run, job.job_id, paths, tier, names)
        except BaseException:
            with self._lock:
                self._held.pop(job.job_id, None)
                self._folders.pop(job.job_id, None)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return job

    def get(self, job_id: str) -> Job:
        """A job's current state, from whichever process runs it; `NotFound` if there is none."""
        stored = self._service.store.jobs.get(job_id)
        if stored is None:
            raise NotFound(f"no job {job_id}")
        job = Job.model_validate_json(stored.payload)
        if job.status in ("queued", "running") and stored.age_s > STALE_AFTER_S:
            return job.model_copy(
                update={
                    "status": "failed",
                    "error": "the server process running this job stopped before it finished; submit it again",
                }
            )
        return job

    def close(self) -> None:
        """Wait for the running job, stop the worker, and fail the jobs it will not run."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._stop.set()
        with self._lock:
            cancelled = list(self._held)
        for job_id in cancelled:
            self._release(job_id)
            self._update(
                job_id,
                status="failed",
                error="the server stopped before this job ran; submit it again",
                finished_at=_now(),
                done=True,
            )

    def _run(self, job_id: str, paths: list[Path], tier: DocumentTier, names: Mapping[Path, str]) -> None:
        try:
            changes = self._ingest(job_id, paths, tier, names)
        finally:
            # Before the job reads as ended, so that whoever sees it ended finds its files gone.
            self._release(job_id)
        self._update(job_id, **changes, finished_at=_now(), done=True)

    def _release(self, job_id: str) -> None:
        """Delete the folder the job owns, if any."""
        with self._lock:
            folder = self._folders.pop(job_id, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def _ingest(
        self, job_id: str, paths: list[Path], tier: DocumentTier, names: Mapping[Path, str]
    ) -> dict[str, object]:
        """Run the job's ingest; the job's final status and report or error."""
        self._update(job_id, status="running")
        last_write = 0.0

        def on_progress(event: ProgressEvent) -> None:
            nonlocal last_write
            with self._lock:
                job = self._held[job_id]
                job.progress[event.stage] = StageProgress(done=event.done, total=event.total)
            now = time.monotonic()
            if event.done >= event.total or now - last_write >= PROGRESS_INTERVAL_S:
                last_write = now
                self._save(job)

        try:
            report = self._service.ingest(paths, tier=tier, on_progress=on_progress, names=names or None)
        except Exception as exc:  # the job records any failure; the server keeps serving
            reason = str(exc) if isinstance(exc, MedGraphError) else f"internal error ({type(exc).__name__})"
            log.exception("ingest job %s failed", job_id)
            return {"status": "failed", "error": reason}
        # The server's folders are its own business: a client sees file names.
        errors = [IngestError(Path(e.path).name, e.reason) for e in report.errors]
        return {"status": "done", "report": dataclasses.replace(report, errors=errors)}

    def _update(self, job_id: str, *, done: bool = False, **changes: object) -> None:
        with self._lock:
            job = self._held[job_id].model_copy(update=changes)
            if done:
                del self._held[job_id]
            else:
                self._held[job_id] = job
        self._save(job)

    def _save(self, job: Job) -> None:
        try:
            self._service.store.jobs.put(
                job.job_id,
                job.model_dump_json(),
                submitted_at=job.submitted_at,
                finished=job.status in ("done", "failed"),
            )
        except MedGraphError:
            log.exception("cannot record job %s", job.job_id)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with self._lock:
                held = list(self._held.values())
            for job in held:
                self._save(job)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
