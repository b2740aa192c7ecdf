"""`medgraph vocab` and `medgraph concept`: tier-3 vocabularies and their concepts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from medgraphrag.cli.output import progress, progress_bars
from medgraphrag.cli.session import console, service
from medgraphrag.cli.text import shown
from medgraphrag.nlp.names import KEY_FORMAT

vocab_app = typer.Typer(help="Load and inspect tier-3 vocabularies.", no_args_is_help=True)
concept_app = typer.Typer(help="Find and show vocabulary concepts.", no_args_is_help=True)


@vocab_app.command("load")
def load(
    kind: Annotated[str, typer.Argument(help="umls | snomed | open")],
    path: Annotated[
        Path | None, typer.Argument(help="META folder, RF2 Snapshot folder, or the open data folder")
    ] = None,
    sab: Annotated[list[str] | None, typer.Option("--sab", help="UMLS: keep only these sources (repeatable)")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="open: only these of hpo, doid, mondo, mesh, icd10cm (repeatable)"),
    ] = None,
    bulk: Annotated[
        bool,
        typer.Option("--bulk", help="into an empty database through neo4j-admin database import (a first, large load)"),
    ] = False,
    import_dir: Annotated[
        Path | None, typer.Option("--import-dir", help="--bulk: write (and keep) the import CSV files here")
    ] = None,
    neo4j_home: Annotated[
        Path | None,
        typer.Option("--neo4j-home", help="--bulk, own server: run its bin/neo4j-admin (the database stopped)"),
    ] = None,
) -> None:
    """Load a vocabulary; loading the same release again changes nothing. With --bulk, an empty
    database is filled offline by neo4j-admin (neo4j-local is stopped and started again)."""
    with service() as medgraph, progress() as bars:
        on_progress = progress_bars(bars, {"read": f"reading {kind}"})
        if bulk:
            result = medgraph.bulk_load_vocabulary(
                kind,
                path,
                umls_sources=sab,
                open_sources=source,
                import_dir=import_dir,
                neo4j_home=neo4j_home,
                on_progress=on_progress,
            )
            loaded = result.load
        else:
            loaded = medgraph.load_vocabulary(
                kind, path, umls_sources=sab, open_sources=source, on_progress=on_progress
            )
    table = Table(box=None, show_header=False)
    for name, version in loaded.versions.items():
        table.add_row("source", shown(f"{name} {version or '(no version)'}"))
    table.add_row("concepts", f"{loaded.concepts:,}")
    table.add_row("relations", f"{loaded.relations:,}")
    table.add_row("seconds", f"{loaded.seconds:.1f}")
    table.add_row("rows skipped", f"{sum(loaded.skipped.values()):,}")
    for reason, count in sorted(loaded.skipped.items(), key=lambda item: -item[1]):
        table.add_row("", f"{count:,}  {shown(reason)}")
    console.print(table)
    if bulk and not result.imported:
        console.print(
            f"import files in {shown(str(result.import_dir))}; stop the database, run:\n{shown(result.command)}\n"
            "then start it: medgraph builds the indexes on its first connection"
        )


@vocab_app.command("status")
def status() -> None:
    """Concepts and relations per loaded source, with the version recorded at load."""
    with service() as medgraph:
        rows = medgraph.vocabularies()
    if not rows:
        console.print("no vocabulary loaded: try `medgraph vocab load open`")
        return
    table = Table("source", "version", "loaded at", "concepts", "relations", "skipped", "concepts now")
    for row in rows:
        table.add_row(
            shown(row.source),
            shown(row.version or "-"),
            str(row.loaded_at)[:19],
            f"{row.concepts:,}",
            f"{row.relations:,}",
            f"{row.skipped:,}",
            f"{row.concepts_now:,}",
        )
    console.print(table)
    stale = [row.source for row in rows if row.key_format != KEY_FORMAT]
    if stale:
        console.print(
            f"[yellow]loaded by an earlier release, without the name keys the linker searches:[/] "
            f"{shown(', '.join(stale))}; load them again with `medgraph vocab load`"
        )


@concept_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="a name, synonym or phrase")],
    semantic_type: Annotated[str | None, typer.Option("--type", help="a TUI such as T047, or type words")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rank vocabulary concepts for a text span."""
    with service() as medgraph:
        matches = medgraph.search_concepts(text, semantic_type=semantic_type, k=k)
    if as_json:
        typer.echo(json.dumps([asdict(m) for m in matches], indent=2))
        return
    if not matches:
        console.print("no concept resembles it")
        raise typer.Exit(1)
    table = Table("concept", "name", "score", "method", "matched", "sources")
    for m in matches:
        table.add_row(
            shown(m.concept_id),
            shown(m.name),
            f"{m.score:.3f}",
            shown(m.method),
            shown(m.matched),
            shown(", ".join(m.sources)),
        )
    console.print(table)


@concept_app.command("show")
def show(concept_id: Annotated[str, typer.Argument(help="a CUI or prefixed id such as HP:0001250")]) -> None:
    """Names, cross-references, definition, parents and children of a concept."""
    with service() as medgraph:
        detail = medgraph.concept(concept_id)
    concept = detail.concept
    console.print(f"[bold]{shown(concept.name)}[/]  {shown(concept.concept_id)}")
    for label, values in (
        ("synonyms", concept.synonyms),
        ("semantic types", concept.semantic_types),
        ("xrefs", concept.xrefs),
        ("sources", concept.sources),
    ):
        if values:
            console.print(f"[dim]{label}:[/] {shown('; '.join(values))}")
    if concept.definition:
        console.print(f"[dim]definition:[/] {shown(concept.definition)}")
    for label, related in (("parents", detail.parents), ("children", detail.children)):
        if related:
            console.print(f"[dim]{label}:[/] " + "; ".join(f"{shown(r.name)} ({shown(r.concept_id)})" for r in related))
    if detail.child_count > len(detail.children):
        console.print(f"[dim]... {detail.child_count - len(detail.children)} more children[/]")
