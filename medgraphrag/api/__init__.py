"""The HTTP API (FastAPI): a router per resource over one `MedGraph`. `create_app` loads on first
use, so the CLI's other commands do not import the web framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medgraphrag.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from medgraphrag.api.app import create_app

        return create_app
    raise AttributeError(f"module 'medgraphrag.api' has no attribute {name!r}")
