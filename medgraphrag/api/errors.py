"""Every error the API returns: `{"error": {"code", "message", "details"?}}`, from one table.

A `MedGraphError` answers with its class's HTTP status; a status maps to one code. Anything else
is a bug: 500 with an incident id, and the traceback in the server log only.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from medgraphrag.core.errors import MedGraphError

log = logging.getLogger("medgraphrag.api")

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "url_too_long",
    422: "invalid_request",
    431: "headers_too_large",
    500: "internal",
    502: "llm_failed",
    503: "unavailable",
    504: "timeout",
}


class ErrorBody(BaseModel):
    """What went wrong, for a program (`code`) and for a person (`message`)."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """Every error the API returns."""

    error: ErrorBody


RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (401, "no or unknown API key"),
        (403, "the key lacks the scope"),
        (422, "invalid request"),
        (500, "internal error (an incident id to report)"),
        (503, "Neo4j is unreachable"),
        (504, "timed out"),
    )
}


def error_response(
    status: int, message: str, details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error body for `status` with `message`."""
    body = ErrorBody(code=CODES.get(status, "error"), message=message, details=details)
    return JSONResponse(status_code=status, content={"error": body.model_dump(exclude_none=True)}, headers=headers)


def public_message(exc: BaseException) -> tuple[int, str]:
    """The status and message a client may see for `exc`: a `MedGraphError`'s own (or, where that
    is for the operator, its public one, the other logged), else (a bug, or a server-side
    misconfiguration) an incident id whose details go to the server log."""
    if isinstance(exc, MedGraphError) and exc.http_status != 500:
        if exc.public is not None:
            log.warning("%s: %s", exc.__class__.__name__, exc)
            return exc.http_status, exc.public
        return exc.http_status, str(exc)
    incident = uuid.uuid4().hex[:12]
    log.error("incident %s", incident, exc_info=exc)
    return 500, f"internal error (incident {incident}; the server log has the details)"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the error body."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The offending input is not echoed back: it may be large or hold what a client meant to keep.
        details = [{"loc": list(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()]
        return error_response(
            422,
            "the request is not valid: "
            + "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['message']}" for d in details),
            details,
        )

    @app.exception_handler(MedGraphError)
    async def refused(request: Request, exc: MedGraphError) -> JSONResponse:
        return error_response(*public_message(exc))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        return error_response(*public_message(exc))
