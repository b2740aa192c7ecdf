"""`medgraph documents` and `medgraph tags`: the stored documents and the tag tree over them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from medgraphrag.cli.output import progress, progress_bars
from medgraphrag.cli.session import console, fail, service
from medgraphrag.cli.session import tier as session_tier
from medgraphrag.cli.text import shown
from medgraphrag.core.ids import document_id

documents_app = typer.Typer(help="List, show and delete ingested documents.", no_args_is_help=True)
tags_app = typer.Typer(help="The tag hierarchy over the meta-graphs.", no_args_is_help=True)


@documents_app.command("list")
def list_documents(
    tier: Annotated[str | None, typer.Option("--tier", help="only user or only reference documents")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    skip: Annotated[int, typer.Option("--skip", min=0)] = 0,
) -> None:
    """Stored documents: id, tier, chunks, title and source."""
    with service() as medgraph:
        rows = medgraph.documents(tier=session_tier(tier), skip=skip, limit=limit)
    table = Table("id", "tier", "chunks", "title", box=None)
    table.add_column("source", overflow="fold")
    for row in rows:
        source = row.source + (f"#{row.external_id}" if row.external_id else "")
        table.add_row(shown(row.doc_id), shown(row.tier), str(row.chunks), shown(row.title[:60]), shown(source))
    console.print(table)


@documents_app.command("show")
def show(doc_id: Annotated[str, typer.Argument(help="a document id (see documents list) or a file path")]) -> None:
    """A document's entities with their concepts, their mentions by assertion (negated, uncertain,
    historical, family, conditional) and links to the other tier."""
    if not doc_id.startswith("doc_") and Path(doc_id).is_file():
        doc_id = document_id(Path(doc_id))
    with service() as medgraph:
        detail = medgraph.document(doc_id)
    document = detail.document
    console.print(
        f"[bold]{shown(document['title'])}[/]  {shown(doc_id)}  [dim]{shown(document['tier'])} tier, "
        f"{detail.chunks} chunks, {len(detail.entities)} entities, {detail.relations} relations[/]"
    )
    console.print(f"[dim]{shown(document['source'])}[/]")
    table = Table("entity", "type", "mentions", "concept", "tier links", box=None)
    for entity in detail.entities:
        mentions = str(entity.mentions) + "".join(
            f" ({count} {key})"
            for key, count in (
                ("negated", entity.negated),
                ("uncertain", entity.uncertain),
                ("historical", entity.historical),
                ("family", entity.family),
                ("conditional", entity.conditional),
            )
            if count
        )
        concept = f"{entity.concept_id} {entity.concept_name}" if entity.concept_id else "-"
        links = "; ".join(f"{r.name} [{r.tier}, {r.method} {r.score or 0:.2f}]" for r in entity.references)
        table.add_row(shown(entity.name), shown(entity.type), mentions, shown(concept), shown(links or "-"))
    console.print(table)


@documents_app.command("delete")
def delete(doc_ids: Annotated[list[str], typer.Argument(help="document ids (see documents list)")]) -> None:
    """Delete documents and what only they supported; shared entities keep their other provenance."""
    with service() as medgraph:
        deletion = medgraph.delete_documents(doc_ids)
    console.print(
        f"deleted {deletion.documents} document(s); removed {deletion.entities_removed} entities "
        f"only they mentioned, kept {deletion.entities_kept} shared ones"
    )
    if deletion.documents < len(set(doc_ids)):
        fail(f"{len(set(doc_ids)) - deletion.documents} of the ids name no stored document")


@tags_app.command("rebuild")
def rebuild() -> None:
    """Rebuild the tag tree from every meta-graph (a tag per meta-graph, merged layer by layer) and
    publish it in one step; questions meanwhile see the previous tree."""
    with service() as medgraph, progress() as bars:
        tree = medgraph.rebuild_tags(on_progress=progress_bars(bars, {"tags": "tag layers"}))
    console.print(
        f"{len(tree.layers)} layers of tags ({', '.join(f'{n:,}' for n in tree.layers)} new per layer) "
        f"in {tree.seconds:.1f} s (generation {tree.generation})"
    )
