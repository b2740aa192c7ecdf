"""The `medgraph` command line: a thin layer over `MedGraph` and the server helpers.

Every `MedGraphError` a command raises is handled here, once: its message on stderr and its class's
exit status (2 for a bad setting or argument, 3 for Neo4j, 4 for the LLM, 1 otherwise).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from medgraphrag.api.auth import new_token, token_hash
from medgraphrag.cli import cypher, db, documents, llm, session, vocab
from medgraphrag.cli.output import print_answer, print_report, progress, progress_bars
from medgraphrag.cli.session import console, errors, fail, service, settings
from medgraphrag.cli.text import VisibleLogHandler, json_text, shown
from medgraphrag.core.errors import MedGraphError
from medgraphrag.core.logs import configure_logging
from medgraphrag.core.settings import SCOPES, ApiKey

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Commands(TyperGroup):
    """The command group that turns a `MedGraphError` into a message and an exit status."""

    # The context is typer's own click context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MedGraphError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)


app = typer.Typer(
    cls=_Commands, help="Medical GraphRAG on Neo4j.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(db.app, name="db")
app.add_typer(llm.app, name="llm")
app.add_typer(vocab.vocab_app, name="vocab")
app.add_typer(vocab.concept_app, name="concept")
app.add_typer(documents.documents_app, name="documents")
app.add_typer(documents.tags_app, name="tags")
app.add_typer(cypher.app, name="cypher")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log what medgraphrag does")] = False) -> None:
    """Medical GraphRAG on Neo4j."""
    configure_logging(verbose=verbose, handler=VisibleLogHandler())


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help=".txt .md .html .pdf .jsonl, MedQuAD .xml, PubMedQA .json files or folders (recursive)"),
    ],
    tier: Annotated[str, typer.Option("--tier", help="user | reference")] = "user",
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="build on Ray (pip install 'medgraphrag[ray]'): local (start Ray on this machine), auto (the "
            "cluster running here) or a cluster address",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Ray workers (default: one per CPU of the cluster)")
    ] = None,
) -> None:
    """Ingest documents into the graph; unchanged files are skipped, changed ones replaced, and a
    file or document that cannot be ingested is reported (exit status 1) while the others are.
    Work an interrupted run left (tier links, tags, unpublished parts) is finished here. With
    --ray, Ray workers build the documents and this process writes them: the same graph."""
    with service() as medgraph, progress() as bars:
        report = medgraph.ingest(
            paths,
            tier=session.tier(tier) or "user",
            ray=ray,
            workers=workers,
            on_progress=progress_bars(
                bars,
                {
                    "read": "files read",
                    "build": "files built",
                    "sections": "parts of a large document",
                    "link": "tier links",
                    "tags": "tags",
                },
            ),
        )
    print_report(report)
    if report.errors or report.post_write_error:
        raise typer.Exit(1)


@app.command()
def query(
    question: Annotated[str, typer.Argument(help="the question")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="chunks of evidence")] = 5,
    tier: Annotated[str | None, typer.Option("--tier", help="only user or only reference evidence")] = None,
    mode: Annotated[str, typer.Option("--mode", help="u-retrieve | hybrid | vector | fulltext")] = "u-retrieve",
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
    graph: Annotated[
        Path | None,
        typer.Option("--graph", help="also write an interactive picture of the evidence (HTML) to this file"),
    ] = None,
) -> None:
    """Answer a question from the graph, each claim cited to a document span or a concept, with the
    trace of how the evidence was found."""
    with service() as medgraph:
        answer = medgraph.query(question, k=k, tier=session.tier(tier), mode=session.mode(mode))
        picture = medgraph.evidence_graph_html(answer) if graph else ""
    if as_json:
        typer.echo(json_text(answer.model_dump_json(indent=2)))
    else:
        print_answer(answer)
    if graph:
        try:
            graph.write_text(picture, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write the evidence graph: {exc}")
        # stderr, so that --json output stays one JSON document.
        errors.print(f"evidence graph written to {shown(str(graph.resolve()))}", soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="server processes, each with its own model, vocabulary and driver (about 1.5 GB with the open "
            "vocabulary); default: one per CPU core, at most 4",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs). Without API keys it listens on loopback only."""
    import uvicorn

    from medgraphrag.api import create_app
    from medgraphrag.api.protocol import LimitedHttpToolsProtocol

    configured = settings()
    if not configured.api.keys:
        if host not in LOOPBACK:
            errors.print(
                f"[yellow]no API key configured: listening on 127.0.0.1, not {shown(host)}[/] "
                "(medgraph api-key creates one)",
                soft_wrap=True,
            )
        else:
            errors.print("[yellow]no API key configured: listening on loopback only[/]", soft_wrap=True)
        host = "127.0.0.1" if host not in LOOPBACK else host
    workers = workers or default_workers()
    if workers > 1:
        # Each process builds its app from the environment; Python's GIL caps one process's throughput.
        uvicorn.run(
            "medgraphrag.api:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            http=LimitedHttpToolsProtocol,
        )
    else:
        uvicorn.run(create_app(configured), host=host, port=port, http=LimitedHttpToolsProtocol)


def default_workers() -> int:
    """`medgraph serve`'s processes unless told: one per CPU core, at most 4."""
    # One Python process computes on one core at a time; the cores are what limits throughput.
    return max(1, min(os.cpu_count() or 1, 4))


@app.command("api-key")
def api_key(
    name: Annotated[str, typer.Argument(help="who or what the key is for")],
    scopes: Annotated[
        list[str] | None, typer.Option("--scope", help="read | ingest | admin (repeat for several)")
    ] = None,
) -> None:
    """Create an API key: prints the token once, and the settings entry that stores only its hash."""
    chosen = scopes or ["read"]
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        fail(f"unknown scope {', '.join(unknown)}: use {', '.join(SCOPES)}")
    token = new_token()
    entry = ApiKey.model_validate({"name": name, "sha256": token_hash(token), "scopes": list(dict.fromkeys(chosen))})
    console.print(f"token (shown once): [bold]{token}[/]")
    console.print("add to MEDGRAPH_API_KEYS (a JSON list):")
    typer.echo(json.dumps(entry.model_dump()))
