"""The API's dependencies, in one place: the shared service and jobs, the key check for a scope,
and running blocking service calls off the event loop within the request time limit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from medgraphrag.api.auth import find_key
from medgraphrag.core.settings import ApiKey, Scope
from medgraphrag.jobs import IngestJobs
from medgraphrag.service import MedGraph

T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False)


def _service(request: Request) -> MedGraph:
    return request.app.state.service  # type: ignore[no-any-return]


def _jobs(request: Request) -> IngestJobs:
    return request.app.state.jobs  # type: ignore[no-any-return]


class InFlight:
    """The blocking calls still running in the thread pool, including those whose request has
    already answered 504: the service may only close once they are done with its connections."""

    def __init__(self) -> None:
        self._running = 0
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        """How many calls are running now."""
        with self._changed:
            return self._running

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `function`, counted while it runs."""
        with self._changed:
            self._running += 1
        try:
            return function(*args, **kwargs)
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def wait(self, timeout_s: float) -> bool:
        """Wait until no call is running, at most `timeout_s` seconds; whether none is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._running == 0, timeout=timeout_s)


class Runner:
    """Runs a blocking call in the thread pool; 504 when it takes longer than the request may."""

    def __init__(self, timeout_s: float, in_flight: InFlight | None = None) -> None:
        self.timeout_s = timeout_s
        self.in_flight = in_flight or InFlight()

    async def __call__(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.wait_for(
                run_in_threadpool(self.in_flight.call, function, *args, **kwargs), timeout=self.timeout_s
            )
        except TimeoutError:
            # The thread cannot be stopped: it runs on, counted in `in_flight`, and the server's
            # shutdown waits for it before closing the service under it.
            raise HTTPException(504, f"the request took longer than {self.timeout_s:g} s") from None


def _runner(request: Request) -> Runner:
    return Runner(_service(request).settings.api.request_timeout_s, request.app.state.in_flight)


Service = Annotated[MedGraph, Depends(_service)]
Jobs = Annotated[IngestJobs, Depends(_jobs)]
Run = Annotated[Runner, Depends(_runner)]


def require(scope: Scope) -> Any:
    """A dependency that lets a request through only with a key granting `scope` (any request when
    the server has no keys: it then listens on loopback only)."""

    def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> ApiKey | None:
        keys = _service(request).settings.api.keys
        if not keys:
            return None
        key = find_key(keys, credentials.credentials) if credentials else None
        if key is None:
            raise HTTPException(
                401,
                "a valid API key is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not key.allows(scope):
            raise HTTPException(403, f"the key {key.name!r} lacks the {scope!r} scope")
        return key

    return Depends(check)
