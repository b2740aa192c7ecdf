"""What the HTTP layer keeps between requests, in Neo4j so that any server process can serve any
request: ingestion jobs with their progress and report, and recent answers for their pictures.
Each is stored as its JSON (the application owns its shape), with a retention limit."""

from __future__ import annotations

from dataclasses import dataclass

from medgraphrag.graph.connection import Connection


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job's JSON and how many seconds ago it was last written (a running job's heartbeat)."""

    payload: str
    age_s: float


class JobStore:
    """Ingestion jobs by id."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def put(self, job_id: str, payload: str, *, submitted_at: str, finished: bool) -> None:
        """Create or replace the job `job_id` (`finished` once it is done or failed)."""
        self._db.write("save_job", job_id=job_id, payload=payload, submitted_at=submitted_at, finished=finished)

    def get(self, job_id: str) -> StoredJob | None:
        """The job `job_id`, None if there is none (or it was pruned)."""
        record = self._db.read_one("job", job_id=job_id)
        return None if record is None else StoredJob(record["payload"], float(record["age_s"]))

    def prune(self, *, keep: int) -> int:
        """Delete the finished jobs older than the `keep` most recently submitted; return how many went."""
        record = self._db.write_one("prune_jobs", keep=keep)
        return int(record["deleted"]) if record else 0


class AnswerStore:
    """Recent answers by id."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def put(self, answer_id: str, payload: str, *, keep: int) -> None:
        """Store an answer, keeping only the `keep` most recent ones."""
        self._db.write("save_answer", answer_id=answer_id, payload=payload, keep=keep)

    def get(self, answer_id: str) -> str | None:
        """The answer `answer_id`, None if there is none (or it is no longer kept)."""
        record = self._db.read_one("answer", answer_id=answer_id)
        return None if record is None else str(record["payload"])
