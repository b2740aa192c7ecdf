"""The HTTP API: a thin FastAPI layer over `MedGraph`, under /v1, with API keys and scopes.

Every error comes back as `{"error": {"code": ..., "message": ...}}`; nothing internal (stack
traces, settings, secrets) leaves the server. Requests larger than `MEDGRAPH_API_MAX_REQUEST_MB`
are refused (413) and requests that run past `MEDGRAPH_API_REQUEST_TIMEOUT_S` answer 504.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, is_dataclass
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medgraphrag.api_examples import EXAMPLES, example
from medgraphrag.auth import ApiKey, Scope as KeyScope, allows, find_key
from medgraphrag.cypher.runner import CypherError
from medgraphrag.graph.connection import GraphUnavailable
from medgraphrag.graph.schema import SchemaError
from medgraphrag.jobs import IngestJobs, Job
from medgraphrag.llm import LLMError
from medgraphrag.retrieval.evidence import Answer, Evidence
from medgraphrag.service import MedGraph
from medgraphrag.settings import Settings, load_settings

log = logging.getLogger("medgraphrag.api")
T = TypeVar("T")
Mode = Literal["u-retrieve", "hybrid", "vector", "fulltext"]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_QUESTION = "What is the first-line treatment for type 2 diabetes?"


class QueryRequest(BaseModel):
    """A question and how to gather evidence for it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": _QUESTION, "k": 5, "mode": "u-retrieve"}]})

    question: str = Field(min_length=1, max_length=4000, description="the question")
    k: int = Field(5, ge=1, le=50, description="chunks of evidence")
    tier: Literal["user", "reference"] | None = Field(None, description="only evidence of this tier")
    mode: Mode = Field("u-retrieve", description="u-retrieve (tags top-down, entities bottom-up) or one chunk search")
    stream: bool = Field(False, description="answer as server-sent events: evidence, deltas, claims, answer, done")


class RetrieveRequest(BaseModel):
    """A question whose evidence is wanted, without an answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": _QUESTION, "k": 5}]})

    question: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=50)
    tier: Literal["user", "reference"] | None = None
    mode: Mode = "u-retrieve"


class AnswerResponse(Answer):
    """An answer and the id under which its picture is kept (GET /v1/answers/{answer_id}/graph)."""

    answer_id: str


class DocumentIn(BaseModel):
    """One document given as JSON."""

    id: str = Field(min_length=1, max_length=200, description="your id for it (the source)")
    text: str = Field(min_length=1)
    title: str | None = None
    metadata: dict[str, str | int | float | bool | None] = {}


class DocumentsRequest(BaseModel):
    """Documents to ingest, given as JSON."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"tier": "user", "documents": [
        {"id": "note-1", "title": "Clinic note", "text": "Type 2 diabetes on metformin. HbA1c 8.1%."}]}]})

    tier: Literal["user", "reference"] = "user"
    documents: list[DocumentIn] = Field(min_length=1, max_length=10_000)


class CypherRequest(BaseModel):
    """A read-only Cypher query and its parameters."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"query": "MATCH (c:Concept {concept_id: $id}) RETURN c.name AS name", "parameters": {"id": "C0011860"}}]})

    query: str = Field(min_length=1, max_length=20_000)
    parameters: dict[str, Any] = {}


class SavedQueryRequest(BaseModel):
    """Arguments of a saved query."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"parameters": {"concept_id": "C0011860"}}]})

    parameters: dict[str, Any] = {}


class CypherResponse(BaseModel):
    """Rows of a read-only query (at most MEDGRAPH_CYPHER_MAX_ROWS; `truncated` says if more)."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    milliseconds: float


class Health(BaseModel):
    """Service health: Neo4j version and node counts by label."""

    status: Literal["ok"]
    neo4j: str
    edition: str
    database: str
    counts: dict[str, int]


class Readiness(BaseModel):
    """Ready when Neo4j answers and every index of the schema is online."""

    status: Literal["ready"]
    indexes: int


class ErrorBody(BaseModel):
    """What went wrong, for a program (`code`) and for a person (`message`)."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns."""

    error: ErrorBody


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in ((401, "no or unknown API key"), (403, "the key lacks the scope"),
                                (422, "invalid request"), (503, "Neo4j is unreachable"), (504, "timed out"))
}


def create_app(settings: Settings | None = None, *, service: MedGraph | None = None) -> FastAPI:
    """The API application over one shared `MedGraph` (created from `settings` if not given)."""
    if service is None:
        settings = settings or load_settings()
        if settings.embedding_threads is None:
            # The server's parallelism is its concurrent requests: one torch thread per process.
            settings = settings.model_copy(update={"embedding_threads": 1})
    shared = service or MedGraph(settings)
    config = shared.settings
    jobs = IngestJobs(shared)
    answers: OrderedDict[str, Answer] = OrderedDict()
    answers_lock = threading.Lock()
    bearer = HTTPBearer(auto_error=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The model loads before the first request, not during it.
        await run_in_threadpool(lambda: shared.embedder)
        yield
        jobs.close()
        shared.close()

    app = FastAPI(
        title="medgraphrag", version="0.1.0", lifespan=lifespan, responses=ERRORS,
        description="Medical GraphRAG on Neo4j: answers with every claim cited to a source span or a concept. "
                    "Send an API key as `Authorization: Bearer <token>` (scopes: read, ingest, admin).",
    )
    app.add_middleware(BodySizeLimit, max_bytes=int(config.api_max_request_mb * 1024 * 1024))

    def require(scope: KeyScope) -> Callable[..., Any]:
        def check(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey | None:
            if not config.api_keys:
                return None  # no keys: the server listens on loopback only (medgraph serve)
            key = find_key(config.api_keys, credentials.credentials) if credentials else None
            if key is None:
                raise HTTPException(401, "a valid API key is required (Authorization: Bearer <token>)",
                                    headers={"WWW-Authenticate": "Bearer"})
            if not allows(key, scope):
                raise HTTPException(403, f"the key {key.name!r} lacks the {scope!r} scope")
            return key

        return check

    async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.wait_for(run_in_threadpool(function, *args, **kwargs),
                                          timeout=config.api_request_timeout_s)
        except asyncio.TimeoutError:
            raise HTTPException(504, f"the request took longer than {config.api_request_timeout_s:g} s") from None

    def keep(answer: Answer) -> AnswerResponse:
        answer_id = uuid.uuid4().hex
        with answers_lock:
            answers[answer_id] = answer
            while len(answers) > config.api_answers_kept:
                answers.popitem(last=False)
        return AnswerResponse(answer_id=answer_id, **answer.model_dump())

    _error_handlers(app)

    @app.get("/healthz", response_model=Health, tags=["health"], responses=example("healthz"))
    async def healthz() -> Health:
        """Live when Neo4j answers: its version and node counts by label."""
        return Health(status="ok", **await call(shared.health))

    @app.get("/readyz", response_model=Readiness, tags=["health"], responses=example("readyz"))
    async def readyz() -> Readiness:
        """Ready when Neo4j answers and the schema's indexes are online (503 otherwise)."""
        indexes = await call(shared.schema_status)
        offline = [i["name"] for i in indexes if i["state"] != "ONLINE"]
        if not indexes or offline:
            raise HTTPException(503, f"schema not ready: {', '.join(offline) or 'no indexes'}")
        return Readiness(status="ready", indexes=len(indexes))

    @app.post("/v1/query", response_model=AnswerResponse, tags=["query"], dependencies=[Depends(require("read"))],
              responses={200: {"content": {"application/json": {"example": EXAMPLES["query"]},
                                           "text/event-stream": {"example": (
                  'event: evidence\ndata: {"question": ..., "citations": [...], "trace": {...}}\n\n'
                  'event: delta\ndata: {"text": "Metformin is "}\n\n'
                  'event: claim\ndata: {"text": ..., "citations": [1]}\n\n'
                  'event: answer\ndata: {"answer_id": ..., "text": ..., ...}\n\nevent: done\ndata: {}\n\n')}}}})
    async def query(request: QueryRequest) -> Any:
        """Answer a question from the graph: every claim cites numbered evidence (a chunk span or a
        concept), with the trace. `stream: true` sends server-sent events: the evidence first, then
        (with an answer LLM) `delta`s of the text as it is generated, each validated claim, the
        whole answer, then `done`."""
        if request.stream:
            events = await call(_first_event, shared.query_events(request.question, k=request.k, tier=request.tier,
                                                                  mode=request.mode))
            return StreamingResponse(_sse(events, keep), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        answer = await call(shared.query, request.question, k=request.k, tier=request.tier, mode=request.mode)
        return keep(answer)

    @app.post("/v1/retrieve", response_model=Evidence, tags=["query"], dependencies=[Depends(require("read"))],
              responses=example("retrieve"))
    async def retrieve(request: RetrieveRequest) -> Evidence:
        """The numbered evidence for a question and its trace, without an answer."""
        return await call(shared.retrieve, request.question, k=request.k, tier=request.tier, mode=request.mode)

    @app.get("/v1/answers/{answer_id}/graph", response_class=HTMLResponse, tags=["query"],
             dependencies=[Depends(require("read"))],
             responses={200: {"content": {"text/html": {"example": '<!doctype html><html>... <svg id="evidence-graph"> ...'}}}})
    async def answer_graph(answer_id: str) -> HTMLResponse:
        """An interactive picture of the evidence behind a recent answer: question, chunks,
        entities, concepts and the links between tiers."""
        with answers_lock:
            answer = answers.get(answer_id)
        if answer is None:
            raise HTTPException(404, f"no recent answer {answer_id} (the server keeps the last "
                                     f"{config.api_answers_kept})")
        return HTMLResponse(await call(shared.evidence_graph_html, answer))

    @app.post("/v1/documents", response_model=Job, status_code=202, tags=["documents"],
              dependencies=[Depends(require("ingest"))], responses=example("job", status=202))
    async def upload_file(file: UploadFile = File(description="a .txt, .md, .html, .pdf, .jsonl, MedQuAD .xml or "
                                                              "PubMedQA .json file"),
                          tier: Literal["user", "reference"] = Form("user")) -> Job:
        """Upload one file to ingest in the background; follow it at /v1/jobs/{job_id}."""
        name = _SAFE_NAME.sub("_", Path(file.filename or "upload.txt").name).strip("._") or "upload.txt"
        folder = _upload_folder(config)
        path = folder / name
        path.write_bytes(await file.read())
        return jobs.submit([path], tier)

    @app.post("/v1/documents/json", response_model=Job, status_code=202, tags=["documents"],
              dependencies=[Depends(require("ingest"))], responses=example("job", status=202))
    async def upload_json(request: DocumentsRequest) -> Job:
        """Documents given as JSON, ingested in the background; follow them at /v1/jobs/{job_id}."""
        path = _upload_folder(config) / "documents.jsonl"
        path.write_text("".join(json.dumps(d.model_dump(), ensure_ascii=False) + "\n" for d in request.documents),
                        encoding="utf-8")
        return jobs.submit([path], request.tier)

    @app.get("/v1/jobs/{job_id}", response_model=Job, tags=["documents"], dependencies=[Depends(require("ingest"))],
             responses=example("job"))
    async def job(job_id: str) -> Job:
        """An ingestion job: status, progress per stage, and the report when done."""
        found = jobs.get(job_id)
        if found is None:
            raise HTTPException(404, f"no job {job_id}")
        return found

    @app.get("/v1/documents", tags=["documents"], dependencies=[Depends(require("read"))],
             responses=example("documents"))
    async def documents(
        tier: Literal["user", "reference"] | None = None, skip: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> list[dict[str, object]]:
        """Stored documents by source: id, tier, title, source, external id, chunks, ingest time."""
        return await call(shared.documents, tier=tier, skip=skip, limit=limit)

    @app.get("/v1/documents/{doc_id}", tags=["documents"], dependencies=[Depends(require("read"))],
             responses=example("document"))
    async def document(doc_id: str) -> dict[str, object]:
        """A document with its entities, their concepts, negated mentions and links to the other tier."""
        detail = await call(shared.document, doc_id)
        if detail is None:
            raise HTTPException(404, f"no document {doc_id}")
        return detail

    @app.delete("/v1/documents/{doc_id}", tags=["documents"], dependencies=[Depends(require("ingest"))],
                responses=example("deleted"))
    async def delete_document(doc_id: str) -> dict[str, int]:
        """Delete a document and what only it supported; shared entities keep their other provenance."""
        deletion = await call(shared.delete_documents, [doc_id])
        if deletion.documents == 0:
            raise HTTPException(404, f"no document {doc_id}")
        return {"documents": deletion.documents, "entities_removed": deletion.entities_removed,
                "entities_kept": deletion.entities_kept}

    @app.get("/v1/concepts", tags=["concepts"], dependencies=[Depends(require("read"))],
             responses=example("concepts"))
    async def concepts(q: str = Query(min_length=1, max_length=500, examples=["heart attack"]),
                       type: str | None = Query(None, max_length=100, description="a semantic type, e.g. T047"),
                       k: int = Query(10, ge=1, le=100)) -> list[dict[str, object]]:
        """Vocabulary concepts for a text, best first, with score and how each matched."""
        return [_plain(m) for m in await call(shared.search_concepts, q, semantic_type=type, k=k)]

    @app.get("/v1/concepts/{concept_id}", tags=["concepts"], dependencies=[Depends(require("read"))],
             responses=example("concept"))
    async def concept(concept_id: str) -> dict[str, object]:
        """A concept with names, cross-references, definition, parents and children."""
        detail = await call(shared.concept, concept_id)
        if detail is None:
            raise HTTPException(404, f"no concept {concept_id}")
        return detail

    @app.post("/v1/cypher", response_model=CypherResponse, tags=["cypher"], dependencies=[Depends(require("read"))],
              responses=example("cypher"))
    async def cypher(request: CypherRequest) -> CypherResponse:
        """Run a read-only Cypher query with parameters (READ transaction, timeout, row cap);
        writes, schema and administration commands are refused (400)."""
        return CypherResponse(**_plain(await call(shared.run_cypher, request.query, request.parameters)))

    @app.get("/v1/cypher/queries", tags=["cypher"], dependencies=[Depends(require("read"))],
             responses=example("saved_queries"))
    async def saved_queries() -> list[dict[str, object]]:
        """The saved exploration queries: name, description, parameters and text."""
        return [_plain(q) for q in await call(shared.saved_queries)]

    @app.post("/v1/cypher/queries/{name}", response_model=CypherResponse, tags=["cypher"],
              dependencies=[Depends(require("read"))], responses=example("cypher"))
    async def run_saved(name: str, request: SavedQueryRequest) -> CypherResponse:
        """Run a saved query with its parameters."""
        return CypherResponse(**_plain(await call(shared.run_saved_query, name, request.parameters)))

    @app.post("/v1/tags/rebuild", tags=["admin"], dependencies=[Depends(require("admin"))],
              responses=example("tags"))
    async def rebuild_tags() -> dict[str, object]:
        """Rebuild the tag tree from every meta-graph."""
        tree = await call(shared.rebuild_tags)
        return {"layers": tree.layers, "seconds": round(tree.seconds, 2)}

    return app


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` (413), by Content-Length or by counting as they arrive."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, counting, send)
        except _TooLarge:
            await _too_large(self.max_bytes, send)


class _TooLarge(Exception):
    pass


async def _too_large(max_bytes: int, send: Send) -> None:
    body = json.dumps({"error": {"code": "too_large",
                                 "message": f"the request body exceeds {max_bytes / 1024 / 1024:g} MB"}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _error_handlers(app: FastAPI) -> None:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large",
             422: "invalid_request", 502: "llm_failed", 503: "unavailable", 504: "timeout"}

    def error(status: int, message: str, details: list[dict[str, Any]] | None = None,
              headers: dict[str, str] | None = None) -> JSONResponse:
        body = ErrorBody(code=codes.get(status, "error"), message=message, details=details)
        return JSONResponse(status_code=status, content={"error": body.model_dump(exclude_none=True)},
                            headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is not echoed back: it may be large or hold what a client meant to keep.
        details = [{"loc": list(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()]
        return error(422, "the request is not valid: " + "; ".join(
            f"{'.'.join(str(p) for p in d['loc'])}: {d['message']}" for d in details), details)

    @app.exception_handler(CypherError)
    async def cypher_refused(request: Request, exc: CypherError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return error(422, str(exc))

    @app.exception_handler(LLMError)
    async def llm_failed(request: Request, exc: LLMError) -> JSONResponse:
        return error(502, f"the answer model failed: {exc}")

    @app.exception_handler(GraphUnavailable)
    async def graph_unavailable(request: Request, exc: GraphUnavailable) -> JSONResponse:
        return error(503, str(exc))

    @app.exception_handler(SchemaError)
    async def schema_conflict(request: Request, exc: SchemaError) -> JSONResponse:
        return error(503, str(exc))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("internal error %s on %s %s", incident, request.method, request.url.path)
        return error(500, f"internal error (incident {incident}; the server log has the details)")


Event = Evidence | str | Answer


def _first_event(events: Iterator[Event]) -> tuple[Event, Iterator[Event]]:
    """Run retrieval before the response starts, so its errors still get an error status."""
    return next(events), events


def _sse(first_and_rest: tuple[Event, Iterator[Event]], keep: Callable[[Answer], AnswerResponse]) -> Iterator[str]:
    first, rest = first_and_rest
    try:
        for event in itertools.chain([first], rest):
            if isinstance(event, Evidence):
                yield _event("evidence", event.model_dump_json())
            elif isinstance(event, str):
                yield _event("delta", json.dumps({"text": event}))
            else:
                for claim in event.claims:
                    yield _event("claim", claim.model_dump_json())
                yield _event("answer", keep(event).model_dump_json())
        yield _event("done", "{}")
    except Exception as exc:  # headers are sent: the failure goes in the stream
        log.exception("stream failed")
        message = str(exc) if isinstance(exc, (LLMError, GraphUnavailable, ValueError)) else "internal error"
        yield _event("error", json.dumps({"error": {"code": "stream_failed", "message": message}}))


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


def _upload_folder(settings: Settings) -> Path:
    folder = settings.data_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _plain(value: object) -> dict[str, object]:
    """A dataclass or pydantic model as a JSON-ready dict."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else dict(vars(value))
