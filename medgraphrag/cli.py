"""The `medgraph` command line: a thin layer over `MedGraph` and the server helpers."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from medgraphrag.auth import SCOPES, ApiKey, new_token, token_hash
from medgraphrag.cypher.runner import CypherError, CypherResult
from medgraphrag.cypher.saved import SavedQuery
from medgraphrag.graph import server
from medgraphrag.graph.connection import GraphUnavailable
from medgraphrag.graph.schema import SchemaError
from medgraphrag.graph.vocab.names import KEY_FORMAT
from medgraphrag.ingest.loaders import document_id
from medgraphrag.ingest.pipeline import IngestReport
from medgraphrag.progress import ProgressCallback, ProgressEvent
from medgraphrag.llm import LLMError
from medgraphrag.retrieval.evidence import Answer, Trace
from medgraphrag.service import MedGraph
from medgraphrag.settings import Settings, SettingsError, load_settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
app = typer.Typer(help="Medical GraphRAG on Neo4j.", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Start, stop and inspect the Neo4j server.", no_args_is_help=True)
vocab_app = typer.Typer(help="Load and inspect tier-3 vocabularies.", no_args_is_help=True)
concept_app = typer.Typer(help="Find and show vocabulary concepts.", no_args_is_help=True)
documents_app = typer.Typer(help="List, show and delete ingested documents.", no_args_is_help=True)
tags_app = typer.Typer(help="The tag hierarchy over the meta-graphs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(vocab_app, name="vocab")
app.add_typer(concept_app, name="concept")
app.add_typer(documents_app, name="documents")
app.add_typer(tags_app, name="tags")

console = Console()
errors = Console(stderr=True)

TierOption = Annotated[str, typer.Option("--tier", help="user | reference")]


def _fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc), code=2)


def _service() -> MedGraph:
    return MedGraph(_settings())


@db_app.command("up")
def db_up() -> None:
    """Start Neo4j: use NEO4J_URI if it answers, else docker compose, else the embedded neo4j-local."""
    try:
        state = server.up(_settings(), echo=lambda m: console.print(f"[dim]{escape(m)}[/]"))
    except server.ServerError as exc:
        _fail(str(exc))
    _print_status(state)


@db_app.command("down")
def db_down() -> None:
    """Stop the Neo4j that `medgraph db up` started."""
    try:
        console.print(server.down(_settings()))
    except server.ServerError as exc:
        _fail(str(exc))


@db_app.command("status")
def db_status() -> None:
    """Which way Neo4j runs (uri, docker, local), its version and node counts by label."""
    state = server.status(_settings())
    _print_status(state)
    if not state.running:
        raise typer.Exit(1)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        help=".txt .md .html .pdf .jsonl, MedQuAD .xml, PubMedQA .json files or folders (recursive)")],
    tier: TierOption = "user",
) -> None:
    """Ingest documents into the graph; unchanged files are skipped, changed ones replaced."""
    with _service() as service, _progress() as progress:
        try:
            report = service.ingest(paths, tier=tier, on_progress=_progress_bars(progress, {"read": "files",
                                                                                            "build": "documents",
                                                                                            "link": "tier links",
                                                                                            "tags": "tags"}))
        except (GraphUnavailable, SchemaError, ValueError) as exc:
            _fail(str(exc))
    _print_report(report)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def query(
    question: Annotated[str, typer.Argument(help="the question")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="chunks of evidence")] = 5,
    tier: Annotated[str | None, typer.Option("--tier", help="only user or only reference evidence")] = None,
    mode: Annotated[str, typer.Option("--mode", help="u-retrieve | hybrid | vector | fulltext")] = "u-retrieve",
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
    graph: Annotated[Path | None, typer.Option(
        "--graph", help="also write an interactive picture of the evidence (HTML) to this file")] = None,
) -> None:
    """Answer a question from the graph, each claim cited to a document span or a concept, with the
    trace of how the evidence was found."""
    with _service() as service:
        try:
            answer = service.query(question, k=k, tier=tier, mode=mode)
            picture = service.evidence_graph_html(answer) if graph else ""
        except (GraphUnavailable, SchemaError, ValueError, LLMError) as exc:
            _fail(str(exc))
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
    else:
        _print_answer(answer)
    if graph:
        try:
            graph.write_text(picture, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write the evidence graph: {exc}")
        # stderr, so that --json output stays one JSON document.
        errors.print(f"evidence graph written to {escape(str(graph.resolve()))}", soft_wrap=True)


@vocab_app.command("load")
def vocab_load(
    kind: Annotated[str, typer.Argument(help="umls | snomed | open")],
    path: Annotated[Path | None, typer.Argument(help="META folder, RF2 Snapshot folder, or the open data folder")] = None,
    sab: Annotated[list[str] | None, typer.Option("--sab", help="UMLS: keep only these sources (repeatable)")] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="open: only these of hpo, doid, mondo, mesh, icd10cm (repeatable)")] = None,
) -> None:
    """Load a vocabulary; loading the same release again changes nothing."""
    with _service() as service, _progress() as progress:
        try:
            load = service.load_vocabulary(kind, path, umls_sources=sab, open_sources=source,
                                           on_progress=_progress_bars(progress, {"read": f"reading {kind}"}))
        except (GraphUnavailable, SchemaError, ValueError, OSError) as exc:
            _fail(str(exc))
    table = Table(box=None, show_header=False)
    for source, version in load.versions.items():
        table.add_row("source", f"{source} {version or '(no version)'}")
    table.add_row("concepts", f"{load.concepts:,}")
    table.add_row("relations", f"{load.relations:,}")
    table.add_row("seconds", f"{load.seconds:.1f}")
    table.add_row("rows skipped", f"{sum(load.skipped.values()):,}")
    for reason, count in sorted(load.skipped.items(), key=lambda item: -item[1]):
        table.add_row("", f"{count:,}  {escape(reason)}")
    console.print(table)


@vocab_app.command("status")
def vocab_status() -> None:
    """Concepts and relations per loaded source, with the version recorded at load."""
    with _service() as service:
        try:
            rows = service.vocabularies()
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
    if not rows:
        console.print("no vocabulary loaded: try `medgraph vocab load open`")
        return
    table = Table("source", "version", "loaded at", "concepts", "relations", "skipped", "concepts now")
    for row in rows:
        table.add_row(str(row["source"]), str(row["version"] or "-"), str(row["loaded_at"])[:19],
                      f"{row['concepts']:,}", f"{row['relations']:,}", f"{row['skipped']:,}",
                      f"{row['concepts_now']:,}")
    console.print(table)
    stale = [str(row["source"]) for row in rows if row.get("key_format") != KEY_FORMAT]
    if stale:
        console.print(f"[yellow]loaded by an earlier release, without the name keys the linker searches:[/] "
                      f"{escape(', '.join(stale))}; load them again with `medgraph vocab load`")


@concept_app.command("search")
def concept_search(
    text: Annotated[str, typer.Argument(help="a name, synonym or phrase")],
    semantic_type: Annotated[str | None, typer.Option("--type", help="a TUI such as T047, or type words")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rank vocabulary concepts for a text span."""
    with _service() as service:
        try:
            matches = service.search_concepts(text, semantic_type=semantic_type, k=k)
        except (GraphUnavailable, SchemaError, ValueError) as exc:
            _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([asdict(m) for m in matches], indent=2))
        return
    if not matches:
        console.print("no concept resembles it")
        raise typer.Exit(1)
    table = Table("concept", "name", "score", "method", "matched", "sources")
    for m in matches:
        table.add_row(m.concept_id, escape(m.name), f"{m.score:.3f}", m.method, escape(m.matched), ", ".join(m.sources))
    console.print(table)


@concept_app.command("show")
def concept_show(concept_id: Annotated[str, typer.Argument(help="a CUI or prefixed id such as HP:0001250")]) -> None:
    """Names, cross-references, definition, parents and children of a concept."""
    with _service() as service:
        try:
            detail = service.concept(concept_id)
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
    if detail is None:
        _fail(f"no concept {concept_id}")
    concept = detail["concept"]
    console.print(f"[bold]{escape(concept['name'])}[/]  {concept['concept_id']}")
    for label, key in (("synonyms", "synonyms"), ("semantic types", "semantic_types"), ("xrefs", "xrefs"),
                       ("sources", "sources")):
        if concept.get(key):
            console.print(f"[dim]{label}:[/] {escape('; '.join(concept[key]))}")
    if concept.get("definition"):
        console.print(f"[dim]definition:[/] {escape(concept['definition'])}")
    for label, key in (("parents", "parents"), ("children", "children")):
        related = detail[key]
        if related:
            console.print(f"[dim]{label}:[/] " + "; ".join(f"{r['name']} ({r['concept_id']})" for r in related))
    if detail["child_count"] > len(detail["children"]):
        console.print(f"[dim]... {detail['child_count'] - len(detail['children'])} more children[/]")


@documents_app.command("list")
def documents_list(
    tier: Annotated[str | None, typer.Option("--tier", help="only user or only reference documents")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    skip: Annotated[int, typer.Option("--skip", min=0)] = 0,
) -> None:
    """Stored documents: id, tier, chunks, title and source."""
    with _service() as service:
        try:
            rows = service.documents(tier=tier, skip=skip, limit=limit)
        except (GraphUnavailable, SchemaError, ValueError) as exc:
            _fail(str(exc))
    table = Table("id", "tier", "chunks", "title", box=None)
    table.add_column("source", overflow="fold")
    for row in rows:
        source = str(row["source"]) + (f"#{row['external_id']}" if row["external_id"] else "")
        table.add_row(str(row["doc_id"]), str(row["tier"]), str(row["chunks"]), escape(str(row["title"])[:60]),
                      escape(source))
    console.print(table)


@documents_app.command("show")
def documents_show(doc_id: Annotated[str, typer.Argument(help="a document id (see documents list) or a file path")],
                   ) -> None:
    """A document's entities with their concepts, negated mentions and links to the other tier."""
    if not doc_id.startswith("doc_") and Path(doc_id).is_file():
        doc_id = document_id(Path(doc_id))
    with _service() as service:
        try:
            detail = service.document(doc_id)
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
    if detail is None:
        _fail(f"no document {doc_id}")
    document = detail["document"]
    console.print(f"[bold]{escape(str(document['title']))}[/]  {doc_id}  [dim]{document['tier']} tier, "
                  f"{detail['chunks']} chunks, {len(detail['entities'])} entities, {detail['relations']} relations[/]")
    console.print(f"[dim]{escape(str(document['source']))}[/]")
    table = Table("entity", "type", "mentions", "concept", "tier links", box=None)
    for entity in detail["entities"]:
        mentions = str(entity["mentions"]) + "".join(
            f" ({entity[key]} {key})" for key in ("negated", "uncertain") if entity[key])
        concept = f"{entity['concept_id']} {entity['concept_name']}" if entity["concept_id"] else "-"
        links = "; ".join(f"{r['name']} [{r['tier']}, {r['method']} {r['score']:.2f}]" for r in entity["references"])
        table.add_row(escape(str(entity["name"])), escape(str(entity["type"])), mentions, escape(concept),
                      escape(links) or "-")
    console.print(table)


@documents_app.command("delete")
def documents_delete(doc_ids: Annotated[list[str], typer.Argument(help="document ids (see documents list)")]) -> None:
    """Delete documents and what only they supported; shared entities keep their other provenance."""
    with _service() as service:
        try:
            deletion = service.delete_documents(doc_ids)
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
    console.print(f"deleted {deletion.documents} document(s); removed {deletion.entities_removed} entities "
                  f"only they mentioned, kept {deletion.entities_kept} shared ones")
    if deletion.documents < len(set(doc_ids)):
        _fail(f"{len(set(doc_ids)) - deletion.documents} of the ids name no stored document")


@tags_app.command("rebuild")
def tags_rebuild() -> None:
    """Rebuild the tag tree from every meta-graph: a tag per meta-graph, merged layer by layer."""
    with _service() as service, _progress() as progress:
        try:
            tree = service.rebuild_tags(on_progress=_progress_bars(progress, {"tags": "tag layers"}))
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
    console.print(f"{len(tree.layers)} layers of tags ({', '.join(f'{n:,}' for n in tree.layers)} new per layer) "
                  f"in {tree.seconds:.1f} s")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="server processes, each with its own model, vocabulary and driver (about 1.5 GB with the open "
                    "vocabulary); default: one per CPU core, at most 4")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs). Without API keys it listens on loopback only."""
    import uvicorn

    from medgraphrag.api import create_app

    settings = _settings()
    if not settings.api_keys:
        if host not in LOOPBACK:
            errors.print(f"[yellow]no API key configured: listening on 127.0.0.1, not {escape(host)}[/] "
                         "(medgraph api-key creates one)", soft_wrap=True)
        else:
            errors.print("[yellow]no API key configured: listening on loopback only[/]", soft_wrap=True)
        host = "127.0.0.1" if host not in LOOPBACK else host
    workers = workers or default_workers()
    if workers > 1:
        # Each process builds its app from the environment; Python's GIL caps one process's throughput.
        uvicorn.run("medgraphrag.api:create_app", factory=True, host=host, port=port, workers=workers)
    else:
        uvicorn.run(create_app(settings), host=host, port=port)


def default_workers() -> int:
    """`medgraph serve`'s processes unless told: one per CPU core, at most 4."""
    # One Python process computes on one core at a time; the cores are what limits throughput.
    return max(1, min(os.cpu_count() or 1, 4))


@app.command("api-key")
def api_key(
    name: Annotated[str, typer.Argument(help="who or what the key is for")],
    scopes: Annotated[list[str], typer.Option("--scope", help="read | ingest | admin (repeat for several)")] = ["read"],
) -> None:
    """Create an API key: prints the token once, and the settings entry that stores only its hash."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        _fail(f"unknown scope {', '.join(unknown)}: use {', '.join(SCOPES)}")
    token = new_token()
    entry = ApiKey(name=name, sha256=token_hash(token), scopes=list(dict.fromkeys(scopes)))  # type: ignore[arg-type]
    console.print(f"token (shown once): [bold]{token}[/]")
    console.print("add to MEDGRAPH_API_KEYS (a JSON list):")
    typer.echo(json.dumps(entry.model_dump()))


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def _progress_bars(progress: Progress, labels: dict[str, str]) -> ProgressCallback:
    """A callback that shows each stage of the events it gets as one bar (named by `labels`)."""
    tasks: dict[str, TaskID] = {}

    def on_progress(event: ProgressEvent) -> None:
        if event.stage not in tasks:
            tasks[event.stage] = progress.add_task(labels.get(event.stage, event.stage), total=event.total)
        progress.update(tasks[event.stage], completed=event.done, total=event.total)

    return on_progress


def _print_status(state: server.ServerStatus) -> None:
    if not state.running:
        console.print(f"[red]down[/]  {escape(state.uri)}  {escape(state.detail)}")
        return
    backend = state.backend.value if state.backend else "?"
    console.print(f"[green]up[/]  {escape(state.uri)}  via [bold]{backend}[/]  Neo4j {state.version} {state.edition}")
    table = Table("label", "nodes", box=None)
    for label, count in state.counts.items():
        table.add_row(label, f"{count:,}")
    console.print(table)


def _print_report(report: IngestReport) -> None:
    table = Table(box=None, show_header=False)
    for label, value in (
        ("files", report.files), ("documents written", report.documents_written),
        ("documents unchanged", report.documents_unchanged), ("chunks written", report.chunks_written),
        ("entities (new)", f"{report.entities} ({report.entities_new})"), ("mentions", report.mentions),
        ("mentions negated", report.mentions_negated), ("mentions uncertain", report.mentions_uncertain),
        ("relations", report.relations), ("concept links", report.concept_links),
        ("reference links", report.reference_links), ("same-as links", report.same_as_links),
        ("meta-graphs tagged", report.tags_attached),
        ("errors", len(report.errors)), ("seconds", f"{report.seconds:.1f}"),
        ("chunks/s", f"{report.chunks_per_second:.1f}"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if report.stage_seconds:
        console.print("[dim]" + "  ".join(f"{stage} {seconds:.1f}s" for stage, seconds in report.stage_seconds.items())
                      + "[/]")
    for error in report.errors:
        errors.print(f"[red]skipped[/] {escape(error.path)}: {escape(error.reason)}", soft_wrap=True)


def _print_answer(answer: Answer) -> None:
    console.print(f"[bold]Q:[/] {escape(answer.question)}\n")
    console.print(f"[bold]A:[/] {escape(answer.text)}\n")
    for sentence in answer.uncited:
        console.print(f"[yellow]uncited:[/] {escape(sentence)}")
    if answer.removed_citations:
        console.print(f"[yellow]removed citations naming no evidence:[/] {answer.removed_citations}")
    for citation in answer.citations:
        if citation.kind == "concept":
            where = f"concept {citation.concept_id}, {escape(citation.source)}"
        else:
            page = f" p. {citation.page_start}" if citation.page_start is not None else ""
            where = (f"{citation.tier}, {escape(citation.source)}{page} chars {citation.start}-{citation.end}, "
                     f"similarity {citation.similarity:.2f}")
        console.print(f"[bold cyan][{citation.n}][/] {escape(citation.title)} [dim]({where})[/]")
        quote = " ".join(citation.quote.split())
        console.print(f"    [italic]\"{escape(quote[:300])}{'…' if len(quote) > 300 else ''}\"[/]")
    _print_trace(answer.trace)


def _print_trace(trace: Trace) -> None:
    tree = Tree(f"[bold]trace[/] [dim]({trace.mode}; "
                + ", ".join(f"{stage} {ms:.0f} ms" for stage, ms in trace.timings_ms.items()) + ")[/]")
    if trace.mode == "u-retrieve":
        if trace.question_concepts:
            tree.add("question concepts: " + ", ".join(trace.question_concepts))
        walk = tree.add("tags walked" + (" [yellow](route too weak: global entity search)[/]" if trace.fallback else ""))
        path = set(trace.path)
        for number, step in enumerate(trace.tags):
            kept = ", ".join(f"{'[bold]' if t.tag_id in path else ''}L{t.layer} {t.similarity:.2f}"
                             f"{'[/]' if t.tag_id in path else ''}" for t in step)
            walk.add(f"step {number}: {kept}")
        tree.add(f"meta-graphs chosen: {len(trace.graph_ids)}")
        entities = tree.add(f"entities: {len(trace.entities)} heaviest")
        for e in trace.entities[:10]:
            entities.add(f"{escape(e.name)} [dim]({e.tier}, {e.via}, weight {e.weight:.2f})[/]")
    console.print(tree)


cypher_app = typer.Typer(help="Explore the graph with read-only Cypher: saved queries, your own, a shell.",
                         no_args_is_help=True)
app.add_typer(cypher_app, name="cypher")

ParamOption = Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE (repeat for several)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print columns, rows, truncated and milliseconds as JSON")]
QUIT = (":q", ":quit", ":exit")


@cypher_app.command("list")
def cypher_list() -> None:
    """The saved queries: their names, what each shows and its parameters."""
    with _service() as service:
        _print_saved_queries(service.saved_queries())


@cypher_app.command("run")
def cypher_run(
    name: Annotated[str, typer.Argument(help="a saved query (see `medgraph cypher list`)")],
    param: ParamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a saved query; values are converted to the parameter types it declares."""
    with _service() as service:
        try:
            result = service.run_saved_query(name, _assignments(param or []))
        except (GraphUnavailable, SchemaError, CypherError) as exc:
            _fail(str(exc))
    _print_cypher_result(result, as_json=as_json)


@cypher_app.command("query")
def cypher_query(
    text: Annotated[str, typer.Argument(help="a read-only Cypher query, parameters as $name")],
    param: ParamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run your own Cypher, read-only, time-limited (MEDGRAPH_CYPHER_TIMEOUT_S) and row-capped
    (MEDGRAPH_CYPHER_MAX_ROWS). Parameter values are read as JSON where they parse (5, true,
    ["a", "b"]), else as strings."""
    with _service() as service:
        try:
            parameters = {key: _json_or_string(value) for key, value in _assignments(param or []).items()}
            result = service.run_cypher(text, parameters)
        except (GraphUnavailable, SchemaError, CypherError) as exc:
            _fail(str(exc))
    _print_cypher_result(result, as_json=as_json)


@cypher_app.command("shell")
def cypher_shell() -> None:
    """An interactive read-only Cypher prompt, one query per line: `:saved` lists the saved
    queries, `:run NAME k=v ...` runs one, `:q` (or end of input) quits."""
    settings = _settings()
    with MedGraph(settings) as service:
        try:
            health = service.health()
        except (GraphUnavailable, SchemaError) as exc:
            _fail(str(exc))
        save_history = _line_editing(settings.data_dir / "cypher_history")
        console.print(f"Neo4j {health['neo4j']}, database {escape(service.database)}, read-only. "
                      "One query per line; :saved lists saved queries, :run NAME k=v runs one, :q quits.")
        try:
            while (line := _prompt()) not in QUIT:
                try:
                    _shell_line(service, line)
                # ValueError also covers unbalanced quotes in a :run line.
                except ValueError as exc:
                    errors.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        finally:
            save_history()


def _prompt() -> str:
    """The next line typed at the shell's prompt, stripped; `:q` at end of input."""
    while True:
        try:
            return input("cypher> ").strip()
        except EOFError:
            console.print()
            return QUIT[0]
        except KeyboardInterrupt:
            # Ctrl-C drops the line being typed, as in other shells.
            console.print()


def _shell_line(service: MedGraph, line: str) -> None:
    """Carry out one line of the Cypher shell."""
    if not line:
        return
    if line == ":saved":
        _print_saved_queries(service.saved_queries())
    elif line == ":run" or line.startswith(":run "):
        words = shlex.split(line.removeprefix(":run"))
        if not words:
            raise CypherError("usage: :run NAME [k=v ...]")
        _print_cypher_result(service.run_saved_query(words[0], _assignments(words[1:])), as_json=False)
    elif line.startswith(":"):
        raise CypherError(f"unknown command {line.split()[0]}: use :saved, :run NAME k=v, or :q")
    else:
        _print_cypher_result(service.run_cypher(line.removesuffix(";")), as_json=False)


def _line_editing(history: Path) -> Callable[[], None]:
    """Line editing and a kept history for input() where readline exists; returns what saves it."""
    try:
        import readline
    except ImportError:  # Windows has no readline; plain input() still works.
        return lambda: None
    history.parent.mkdir(parents=True, exist_ok=True)
    if history.is_file():
        readline.read_history_file(history)
    readline.set_history_length(1000)
    return lambda: readline.write_history_file(history)


def _assignments(items: list[str]) -> dict[str, str]:
    """NAME=VALUE items as a dict; `CypherError` for an item without a name or given twice."""
    values: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise CypherError(f"expected NAME=VALUE, got {item!r}")
        if key.strip() in values:
            raise CypherError(f"parameter {key.strip()} is given twice")
        values[key.strip()] = value
    return values


def _json_or_string(value: str) -> object:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _print_saved_queries(queries: list[SavedQuery]) -> None:
    table = Table("name")
    table.add_column("description", overflow="fold")
    table.add_column("parameters", overflow="fold")
    for query in queries:
        parameters = "\n".join(
            f"{p.name} ({p.type}{'' if p.required else f', default {_default(p.default)}'}) {p.description}"
            for p in query.parameters)
        table.add_row(query.name, escape(query.description), escape(parameters) or "-")
    console.print(table)


def _default(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _print_cypher_result(result: CypherResult, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
        return
    table = Table(*(escape(column) for column in result.columns))
    for row in result.rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)
    cut = f", cut at {len(result.rows)} rows (MEDGRAPH_CYPHER_MAX_ROWS)" if result.truncated else ""
    console.print(f"[dim]{len(result.rows)} row(s) in {result.milliseconds:.0f} ms{cut}[/]")


def _cell(value: object) -> str:
    if value is None:
        return "[dim]null[/]"
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
