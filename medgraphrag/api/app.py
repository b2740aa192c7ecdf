"""The HTTP API: a thin FastAPI layer over `MedGraph`, under /v1, with API keys and scopes.

Every error comes back as `{"error": {"code": ..., "message": ...}}` (api/errors.py); nothing
internal (stack traces, settings, secrets) leaves the server. Requests larger than
`MEDGRAPH_API_MAX_REQUEST_MB` are refused (413) and requests that run past
`MEDGRAPH_API_REQUEST_TIMEOUT_S` answer 504; under `medgraph serve`, a URL over
`MEDGRAPH_API_MAX_URL_KB` answers 414 and headers over `MEDGRAPH_API_MAX_HEADER_KB` 431. Jobs
and recent answers live in Neo4j, so every server process answers for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from medgraphrag.api import errors
from medgraphrag.api.deps import InFlight
from medgraphrag.api.limits import LIMITS_KEY, BodySizeLimit, head_limits
from medgraphrag.api.routers import admin, concepts, cypher, documents, health, jobs, query, web
from medgraphrag.api.uploads import remove_abandoned
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.jobs import IngestJobs
from medgraphrag.service import MedGraph

VERSION = "0.1.0"
# How long shutdown waits for requests still running (those past their time limit included).
SHUTDOWN_WAIT_S = 60.0
log = logging.getLogger(__name__)
ROUTERS = (
    health.router,
    query.router,
    documents.router,
    jobs.router,
    concepts.router,
    cypher.router,
    admin.router,
    web.router,
)


def create_app(settings: Settings | None = None, *, service: MedGraph | None = None) -> FastAPI:
    """The API application over one shared `MedGraph` (created from `settings` if not given)."""
    if service is None:
        settings = settings or load_settings()
        if settings.embedding.threads is None:
            # The server's parallelism is its concurrent requests: one model thread per process.
            settings = settings.replace(embedding={"threads": 1})
        service = MedGraph(settings)
    shared = service

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # The model loads before the first request, not during it.
        await run_in_threadpool(lambda: shared.embedder)
        app.state.jobs = IngestJobs(shared, keep=shared.settings.api.jobs_kept)
        await run_in_threadpool(remove_abandoned, shared.settings)
        # The lifespan state reaches uvicorn's protocol (api/protocol.py), which limits URL and headers.
        yield {LIMITS_KEY: head_limits(shared.settings.api)}
        app.state.jobs.close()
        # Requests that answered 504 may still be running on the service's connections.
        if not await run_in_threadpool(app.state.in_flight.wait, SHUTDOWN_WAIT_S):
            log.warning("closing with %d request(s) still running", app.state.in_flight.running)
        shared.close()

    app = FastAPI(
        title="medgraphrag",
        version=VERSION,
        lifespan=lifespan,
        responses=errors.RESPONSES,
        description="Medical GraphRAG on Neo4j: answers with every claim cited to a source span or a concept. "
        "Send an API key as `Authorization: Bearer <token>` (scopes: read, ingest, admin).",
    )
    app.state.service = shared
    app.state.in_flight = InFlight()
    app.add_middleware(BodySizeLimit, max_bytes=int(shared.settings.api.max_request_mb * 1024 * 1024))
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
