"""`medgraph llm`: start, stop and inspect the local OpenAI-compatible LLM server."""

from __future__ import annotations

import typer

from medgraphrag.cli.session import console, settings
from medgraphrag.cli.text import shown
from medgraphrag.models import local_llm

app = typer.Typer(help="Start, stop and inspect the local LLM server (llama.cpp, GGUF models).", no_args_is_help=True)


def _print(state: local_llm.LocalLLMStatus) -> None:
    if state.running:
        console.print(f"[green]up[/]  {shown(state.base_url)}  model [bold]{shown(state.model)}[/]  pid {state.pid}")
        console.print(f"[dim]{shown(state.detail)}; the LLM settings left unset point here[/]")
    else:
        console.print(f"[red]down[/]  {shown(state.base_url)}  {shown(state.detail)}")


@app.command("up")
def up() -> None:
    """Start the local LLM server (MEDGRAPH_LOCAL_LLM_MODEL, else the bundled SmolLM2-135M-Instruct)
    and wait until it answers; construction and answers then use it unless MEDGRAPH_LLM_* say otherwise."""
    _print(local_llm.up(settings(), echo=lambda m: console.print(f"[dim]{shown(m)}[/]")))


@app.command("down")
def down() -> None:
    """Stop the local LLM server that `medgraph llm up` started."""
    console.print(shown(local_llm.down(settings())))


@app.command("status")
def status() -> None:
    """Whether the local LLM server runs and answers, where, and with which model."""
    state = local_llm.status(settings())
    _print(state)
    if not state.running:
        raise typer.Exit(1)
