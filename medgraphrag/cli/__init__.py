"""The `medgraph` command line (Typer): a command group per resource over one `MedGraph`."""

from medgraphrag.cli.app import app, default_workers

__all__ = ["app", "default_workers"]
