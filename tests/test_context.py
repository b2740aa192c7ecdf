"""Units that carry their context: headings found, contexts built, stored, embedded and searched."""

from pathlib import Path

import numpy as np
from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.ingest.chunking import TextChunk
from medgraphrag.ingest.context import MAX_CONTEXT_CHARS, chunk_contexts, contextual, headings
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph

NOTE = """# Discharge summary

HISTORY OF PRESENT ILLNESS
Crushing chest pain for two hours.

## Plan

Medications:
Aspirin daily.

## Follow-up

Return in two weeks.
"""


def _chunk(text: str, needle: str) -> TextChunk:
    start = text.index(needle)
    return TextChunk(0, start, start + len(needle), needle)


def test_headings_are_markdown_and_plain_section_labels_but_not_sentences() -> None:
    found = headings(NOTE + "These resources address the diagnosis and the management of the disease:\n")
    assert [(h.level, h.text) for h in found] == [
        (1, "Discharge summary"),
        (7, "HISTORY OF PRESENT ILLNESS"),
        (2, "Plan"),
        (7, "Medications"),
        (2, "Follow-up"),
    ]
    assert all(NOTE[h.start :].lstrip("# ").startswith(h.text) for h in found)


def test_a_chunk_gets_the_title_and_the_heading_path_in_force_where_it_starts() -> None:
    document = SourceDocument("note.md", "Discharge summary", NOTE, "text/markdown")
    chunks = [
        _chunk(NOTE, "Crushing chest pain for two hours."),
        _chunk(NOTE, "Aspirin daily."),
        _chunk(NOTE, "Return in two weeks."),
        _chunk(NOTE, "# Discharge summary"),
    ]
    contexts = chunk_contexts(document, chunks)
    assert contexts[0] == "Discharge summary | HISTORY OF PRESENT ILLNESS"
    # A heading of the same or a higher level closes the sections under it.
    assert contexts[1] == "Discharge summary | Plan > Medications"
    assert contexts[2] == "Discharge summary | Follow-up"
    # A heading in the chunk itself is in its text already.
    assert contexts[3] == "Discharge summary"


def test_a_question_answer_document_adds_its_focus_unless_the_title_names_it() -> None:
    answer = "It is treated with eye drops that lower the pressure in the eye."
    chunks = [TextChunk(0, 0, len(answer), answer)]
    named = SourceDocument("q.xml", "How to treat Glaucoma?", answer, "x", metadata=(("focus", "Glaucoma"),))
    unnamed = SourceDocument("q.xml", "What are the treatments for it?", answer, "x", metadata=(("focus", "Glaucoma"),))
    assert chunk_contexts(named, chunks) == ["How to treat Glaucoma?"]
    assert chunk_contexts(unnamed, chunks) == ["What are the treatments for it? | Glaucoma"]


def test_contexts_are_bounded_and_the_embedded_text_ends_with_the_chunk() -> None:
    text = "Body of the document."
    document = SourceDocument("long.txt", "word " * 200, text, "text/plain")
    (context,) = chunk_contexts(document, [TextChunk(0, 0, len(text), text)])
    assert len(context) <= MAX_CONTEXT_CHARS and context.endswith("…")
    assert contextual(context, text).endswith("\n" + text)
    assert contextual("", text) == text


def test_stored_chunks_carry_their_context_are_embedded_with_it_and_found_by_it(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, tmp_path: Path
) -> None:
    (tmp_path / "glaucoma.md").write_text(
        "# Glaucoma\n\n## Treatment\n\nIt is treated with drops that lower the pressure inside the eye, "
        "every evening and for life, as the eye doctor advises.\n",
        encoding="utf-8",
    )
    # A small budget: the treatment paragraph is a chunk of its own, without the headings.
    with MedGraph(neo4j_settings.replace(ingest={"chunk_tokens": 24}), embedder=embedder) as service:
        report = service.ingest([tmp_path], tier="reference")
        hits = service.search("glaucoma treatment", mode="fulltext", k=3)
    assert report.errors == []
    records, _, _ = driver.execute_query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) RETURN d.source AS source, c.start AS start, c.end AS end, "
        "c.text AS text, c.context AS context, c.embedding AS embedding ORDER BY c.start"
    )
    source = Path(records[0]["source"]).read_text(encoding="utf-8")
    for record in records:
        assert source[record["start"] : record["end"]] == record["text"]  # citations still quote the source
    drops = next(r for r in records if "drops" in r["text"])
    assert "glaucoma" not in drops["text"].lower() and drops["context"] == "Glaucoma | Treatment"
    expected = embedder.embed([contextual(drops["context"], drops["text"])])[0]
    assert float(np.dot(np.asarray(drops["embedding"], dtype=np.float32), expected)) > 0.999
    # The chunk's text never says "glaucoma": only its context lets the full-text index find it.
    assert any("drops" in hit.text and "Glaucoma" in hit.context for hit in hits)
