"""`medgraph db`: start, stop and inspect the Neo4j server."""

from __future__ import annotations

import typer

from medgraphrag.cli.output import print_status
from medgraphrag.cli.session import console, settings
from medgraphrag.cli.text import shown
from medgraphrag.graph import server

app = typer.Typer(help="Start, stop and inspect the Neo4j server.", no_args_is_help=True)


@app.command("up")
def up() -> None:
    """Start Neo4j: use NEO4J_URI if it answers, else docker compose, else the embedded neo4j-local."""
    print_status(server.up(settings(), echo=lambda m: console.print(f"[dim]{shown(m)}[/]")))


@app.command("down")
def down() -> None:
    """Stop the Neo4j that `medgraph db up` started."""
    console.print(shown(server.down(settings())))


@app.command("status")
def status() -> None:
    """Which way Neo4j runs (uri, docker, local), its version and node counts by label."""
    state = server.status(settings())
    print_status(state)
    if not state.running:
        raise typer.Exit(1)
