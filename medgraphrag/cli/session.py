"""What every command starts from: the consoles, the settings and the service."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from medgraphrag.cli.text import shown
from medgraphrag.core.errors import InvalidRequest
from medgraphrag.core.ids import DOCUMENT_TIERS, DocumentTier
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.retrieval.retriever import MODES, Mode
from medgraphrag.service import MedGraph

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` as an error and end the command with exit status `code`."""
    errors.print(f"[bold red]error:[/] {shown(message)}", soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    """The settings of the environment and `.env` (a bad one is a `ConfigurationError`, exit 2)."""
    return load_settings()


def service() -> MedGraph:
    """A service over the configured Neo4j (opened on first use)."""
    return MedGraph(settings())


def tier(value: str | None) -> DocumentTier | None:
    """A `--tier` option's value, checked: user, reference, or none (`InvalidRequest` otherwise)."""
    if value is not None and value not in DOCUMENT_TIERS:
        raise InvalidRequest(f"tier must be one of {', '.join(DOCUMENT_TIERS)}, got {value!r}")
    return value


def mode(value: str) -> Mode:
    """A `--mode` option's value, checked (`InvalidRequest` for an unknown mode)."""
    if value not in MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(MODES)}, got {value!r}")
    return value
