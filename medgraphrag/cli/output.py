"""How the CLI shows things: progress bars, reports, answers with their trace, tables."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from medgraphrag.cli.session import console, errors
from medgraphrag.cli.text import json_text, shown
from medgraphrag.core.progress import ProgressCallback, ProgressEvent
from medgraphrag.graph.exploration import CypherResult
from medgraphrag.graph.saved_queries import SavedQuery
from medgraphrag.graph.server import ServerStatus
from medgraphrag.ingest.pipeline import IngestReport
from medgraphrag.retrieval.evidence import Answer, Trace


def progress() -> Progress:
    """A set of progress bars on the console."""
    return Progress(
        TextColumn("[bold]{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def progress_bars(bars: Progress, labels: dict[str, str]) -> ProgressCallback:
    """A callback that shows each stage of the events it gets as one bar (named by `labels`)."""
    tasks: dict[str, TaskID] = {}

    def on_progress(event: ProgressEvent) -> None:
        if event.stage not in tasks:
            tasks[event.stage] = bars.add_task(labels.get(event.stage, event.stage), total=event.total)
        bars.update(tasks[event.stage], completed=event.done, total=event.total)

    return on_progress


def print_status(state: ServerStatus) -> None:
    """Whether Neo4j runs, how, its version and node counts."""
    if not state.running:
        console.print(f"[red]down[/]  {shown(state.uri)}  {shown(state.detail)}")
        return
    backend = state.backend.value if state.backend else "?"
    console.print(
        f"[green]up[/]  {shown(state.uri)}  via [bold]{backend}[/]  Neo4j {shown(state.version)} {shown(state.edition)}"
    )
    if state.browser:
        console.print(f"Neo4j Browser: {shown(state.browser)} (user neo4j, the password of NEO4J_PASSWORD)")
    table = Table("label", "nodes", box=None)
    for label, count in state.counts.items():
        table.add_row(shown(label), f"{count:,}")
    console.print(table)


def print_report(report: IngestReport) -> None:
    """What an ingest did, per stage, with the documents it could not ingest."""
    table = Table(box=None, show_header=False)
    for label, value in (
        ("files", report.files),
        ("documents written", report.documents_written),
        ("documents unchanged", report.documents_unchanged),
        ("documents failed", report.documents_failed),
        ("chunks written", report.chunks_written),
        ("entities (new)", f"{report.entities} ({report.entities_new})"),
        ("mentions", report.mentions),
        ("mentions negated", report.mentions_negated),
        ("mentions uncertain", report.mentions_uncertain),
        ("mentions historical", report.mentions_historical),
        ("mentions of family members", report.mentions_family),
        ("mentions conditional", report.mentions_conditional),
        ("relations", report.relations),
        ("concept links", report.concept_links),
        ("reference links", report.reference_links),
        ("same-as links", report.same_as_links),
        ("meta-graphs tagged", report.tags_attached),
        ("errors", len(report.errors)),
        ("seconds", f"{report.seconds:.1f}"),
        ("chunks/s", f"{report.chunks_per_second:.1f}"),
    ):
        table.add_row(label, str(value))
    if report.worker_memory_mb:
        peak = max(report.worker_memory_mb)
        table.add_row("Ray workers", f"{report.workers} (peak memory {peak:,.0f} MiB, the largest)")
    if report.llm is not None:
        usage = report.llm
        table.add_row(
            "LLM",
            f"{shown(usage.model)}: {usage.calls} calls ({usage.cache_hits} cached), "
            f"{usage.prompt_tokens + usage.completion_tokens:,} tokens, {usage.seconds:.1f} s",
        )
        done_offline = ", ".join(f"{stage} {n}" for stage, n in report.llm_fallbacks.items() if n)
        table.add_row("LLM failed, done offline", done_offline or "nothing")
    console.print(table)
    if report.stage_seconds:
        console.print(
            "[dim]" + "  ".join(f"{stage} {seconds:.1f}s" for stage, seconds in report.stage_seconds.items()) + "[/]"
        )
    for error in report.errors:
        errors.print(f"[red]skipped[/] {shown(error.path)}: {shown(error.reason)}", soft_wrap=True)
    if report.post_write_error:
        errors.print(
            f"[yellow]tier links and tags not finished[/] (the documents are stored; the next ingest finishes "
            f"them): {shown(report.post_write_error)}",
            soft_wrap=True,
        )


def print_answer(answer: Answer) -> None:
    """The answer, what validation flagged, the numbered evidence and the trace."""
    console.print(f"[bold]Q:[/] {shown(answer.question)}\n")
    console.print(f"[bold]A:[/] {shown(answer.text)}\n")
    if answer.trace.degraded:
        console.print(f"[yellow]the answer model failed; the answer is extractive:[/] {shown(answer.trace.degraded)}")
    for sentence in answer.uncited:
        console.print(f"[yellow]uncited:[/] {shown(sentence)}")
    if answer.removed_citations:
        console.print(f"[yellow]removed citations naming no evidence:[/] {answer.removed_citations}")
    for citation in answer.citations:
        if citation.kind == "concept":
            where = f"concept {shown(citation.concept_id)}, {shown(citation.source)}"
        else:
            page = f" p. {citation.page_start}" if citation.page_start is not None else ""
            where = (
                f"{shown(citation.tier)}, {shown(citation.source)}{page} chars {citation.start}-{citation.end}, "
                f"similarity {citation.similarity:.2f}"
            )
        console.print(f"[bold cyan][{citation.n}][/] {shown(citation.title)} [dim]({where})[/]")
        quote = " ".join(citation.quote.split())
        console.print(f'    [italic]"{shown(quote[:300])}{"…" if len(quote) > 300 else ""}"[/]')
        if citation.qualified:
            noted = "; ".join(dict.fromkeys(f"{m.surface} ({m.status})" for m in citation.qualified))
            console.print(f"    [yellow]not the patient's present findings:[/] {shown(noted)}")
    print_trace(answer.trace)


def print_trace(trace: Trace) -> None:
    """How the evidence was found: stages and their times, tags walked, entities."""
    tree = Tree(
        f"[bold]trace[/] [dim]({trace.mode}; "
        + ", ".join(f"{stage} {ms:.0f} ms" for stage, ms in trace.timings_ms.items())
        + ")[/]"
    )
    if trace.mode == "u-retrieve":
        if trace.question_concepts:
            tree.add("question concepts: " + shown(", ".join(trace.question_concepts)))
        walk = tree.add(
            "tags walked" + (" [yellow](route too weak: global entity search)[/]" if trace.fallback else "")
        )
        path = set(trace.path)
        for number, step in enumerate(trace.tags):
            kept = ", ".join(
                f"{'[bold]' if t.tag_id in path else ''}L{t.layer} {t.similarity:.2f}"
                f"{'[/]' if t.tag_id in path else ''}"
                for t in step
            )
            walk.add(f"step {number}: {kept}")
        tree.add(f"meta-graphs chosen: {len(trace.graph_ids)}")
        entities = tree.add(f"entities: {len(trace.entities)} heaviest")
        for e in trace.entities[:10]:
            entities.add(f"{shown(e.name)} [dim]({shown(e.tier)}, {shown(e.via)}, weight {e.weight:.2f})[/]")
    if trace.llm is not None:
        tree.add(
            f"LLM {shown(trace.llm.model)}: {trace.llm.calls} calls, "
            f"{trace.llm.prompt_tokens + trace.llm.completion_tokens:,} tokens, {trace.llm.seconds:.1f} s"
        )
    console.print(tree)


def print_saved_queries(queries: list[SavedQuery]) -> None:
    """The saved queries with their parameters."""
    table = Table("name")
    table.add_column("description", overflow="fold")
    table.add_column("parameters", overflow="fold")
    for query in queries:
        parameters = "\n".join(
            f"{p.name} ({p.type}{'' if p.required else f', default {_default(p.default)}'}) {p.description}"
            for p in query.parameters
        )
        table.add_row(shown(query.name), shown(query.description), shown(parameters or "-"))
    console.print(table)


def print_cypher_result(result: CypherResult, *, as_json: bool) -> None:
    """Rows of a query as a table (or JSON), and how many in how long."""
    if as_json:
        typer.echo(json_text(json.dumps(result.model_dump(), indent=2, ensure_ascii=False)))
        return
    table = Table(*(shown(column) for column in result.columns))
    for row in result.rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)
    cut = f", cut at {len(result.rows)} rows (MEDGRAPH_CYPHER_MAX_ROWS)" if result.truncated else ""
    console.print(f"[dim]{len(result.rows)} row(s) in {result.milliseconds:.0f} ms{cut}[/]")


def _default(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _cell(value: object) -> str:
    if value is None:
        return "[dim]null[/]"
    return shown(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
