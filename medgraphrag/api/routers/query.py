"""Questions: evidence, answers (whole or streamed as server-sent events) and their pictures."""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from medgraphrag.api.deps import Run, Service, require
from medgraphrag.api.errors import public_message
from medgraphrag.api.examples import EXAMPLES, QUESTION, example
from medgraphrag.core.errors import NotFound
from medgraphrag.core.ids import DocumentTier
from medgraphrag.retrieval.evidence import Answer, Evidence
from medgraphrag.retrieval.retriever import Mode
from medgraphrag.service import MedGraph

log = logging.getLogger("medgraphrag.api")
router = APIRouter(prefix="/v1", tags=["query"], dependencies=[require("read")])
Event = Evidence | str | Answer


class QueryRequest(BaseModel):
    """A question and how to gather evidence for it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": QUESTION, "k": 5, "mode": "u-retrieve"}]})

    question: str = Field(min_length=1, max_length=4000, description="the question")
    k: int = Field(5, ge=1, le=50, description="chunks of evidence")
    tier: DocumentTier | None = Field(None, description="only evidence of this tier")
    mode: Mode = Field("u-retrieve", description="u-retrieve (tags top-down, entities bottom-up) or one chunk search")
    stream: bool = Field(False, description="answer as server-sent events: evidence, deltas, claims, answer, done")


class RetrieveRequest(BaseModel):
    """A question whose evidence is wanted, without an answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": QUESTION, "k": 5}]})

    question: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=50)
    tier: DocumentTier | None = None
    mode: Mode = "u-retrieve"


class AnswerResponse(Answer):
    """An answer and the id under which its picture is kept (GET /v1/answers/{answer_id}/graph)."""

    answer_id: str


_STREAM_EXAMPLE = (
    'event: evidence\ndata: {"question": ..., "citations": [...], "trace": {...}}\n\n'
    'event: delta\ndata: {"text": "Metformin is "}\n\n'
    'event: claim\ndata: {"text": ..., "citations": [1]}\n\n'
    'event: answer\ndata: {"answer_id": ..., "text": ..., ...}\n\nevent: done\ndata: {}\n\n'
)


@router.post(
    "/query",
    response_model=AnswerResponse,
    responses={
        200: {
            "content": {
                "application/json": {"example": EXAMPLES["query"]},
                "text/event-stream": {"example": _STREAM_EXAMPLE},
            }
        }
    },
)
async def query(request: QueryRequest, service: Service, run: Run) -> Any:
    """Answer a question from the graph: every claim cites numbered evidence (a chunk span or a
    concept), with the trace. `stream: true` sends server-sent events: the evidence first, then
    (with an answer LLM) `delta`s of the text as it is generated, each validated claim, the whole
    answer, then `done`; a failure after the first event ends the stream with an `error` event."""
    if request.stream:
        events = service.query_events(request.question, k=request.k, tier=request.tier, mode=request.mode)
        # Retrieval runs before the response starts, so its errors still get an error status.
        first = await run(next, events)
        return StreamingResponse(
            _sse(first, events, lambda answer: _keep(service, answer)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    answer = await run(service.query, request.question, k=request.k, tier=request.tier, mode=request.mode)
    return await run(_keep, service, answer)


@router.post("/retrieve", response_model=Evidence, responses=example("retrieve"))
async def retrieve(request: RetrieveRequest, service: Service, run: Run) -> Evidence:
    """The numbered evidence for a question and its trace, without an answer."""
    return await run(service.retrieve, request.question, k=request.k, tier=request.tier, mode=request.mode)


@router.get(
    "/answers/{answer_id}/graph",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"example": '<!doctype html><html>... <svg id="evidence-graph"> ...'}}}},
)
async def answer_graph(answer_id: str, service: Service, run: Run) -> HTMLResponse:
    """An interactive picture of the evidence behind a recent answer: question, chunks, entities,
    concepts and the links between tiers."""
    return HTMLResponse(await run(_picture, service, answer_id))


def _picture(service: MedGraph, answer_id: str) -> str:
    payload = service.store.answers.get(answer_id)
    if payload is None:
        raise NotFound(f"no recent answer {answer_id} (the server keeps the last {service.settings.api.answers_kept})")
    return service.evidence_graph_html(Answer.model_validate_json(payload))


def _keep(service: MedGraph, answer: Answer) -> AnswerResponse:
    """Keep the answer for its picture, under a new id."""
    kept = AnswerResponse(answer_id=uuid.uuid4().hex, **answer.model_dump())
    service.store.answers.put(kept.answer_id, answer.model_dump_json(), keep=service.settings.api.answers_kept)
    return kept


def _sse(first: Event, rest: Iterator[Event], keep: Callable[[Answer], AnswerResponse]) -> Iterator[str]:
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
        _, message = public_message(exc)
        yield _event("error", json.dumps({"error": {"code": "stream_failed", "message": message}}))


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"
