"""Progress events of long-running work, shared by ingest, vocabulary loads, the CLI and the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """Where a long-running job stands: `done` of `total` units of `stage`."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(event: ProgressEvent) -> None:
    """The callback for callers that do not watch progress."""
