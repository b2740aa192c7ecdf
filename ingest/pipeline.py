"""The ingest pipeline: files -> documents -> chunks -> embeddings -> Neo4j, with progress events."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import Driver

from medgraphrag.embeddings import Embedder
from medgraphrag.progress import ProgressCallback, ProgressEvent, ignore_progress
from medgraphrag.graph.writer import ChunkRecord, DocumentRecord, stored_documents, write_documents
from medgraphrag.ingest.chunking import TextChunk, chunk_text
from medgraphrag.ingest.loaders import LoadError, SourceDocument, discover, load_all

# Bump when chunking or stored properties change meaning, so stored documents are rebuilt.
PIPELINE_VERSION = 1


@dataclass(frozen=True)
class IngestError:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """The outcome of one ingest run."""

    files: int = 0
    documents_written: int = 0
    documents_unchanged: int = 0
    chunks_written: int = 0
    errors: list[IngestError] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        """Chunks written per wall-clock second of the whole run."""
        return self.chunks_written / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class IngestConfig:
    """What shapes the stored result; a change of any of it re-ingests every document."""

    tier: str
    chunk_tokens: int
    batch_documents: int

    def fingerprint(self, embedder: Embedder) -> str:
        """Identity of the pipeline that built a document (not of its content)."""
        key = f"v{PIPELINE_VERSION}|chunk_tokens={self.chunk_tokens}|model={embedder.name}|dim={embedder.dimension}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def ingest_paths(
    paths: Iterable[Path | str],
    config: IngestConfig,
    *,
    driver: Driver,
    database: str,
    embedder: Embedder,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest the supported files under `paths`; bad files are reported, the others stored."""
    started = time.perf_counter()
    notify = on_progress or ignore_progress
    report = IngestReport()
    files, discover_errors = discover(paths)
    report.errors.extend(IngestError(e.path, e.reason) for e in discover_errors)
    report.files = len(files)

    documents: list[SourceDocument] = []
    for done, item in enumerate(load_all(files), start=1):
        if isinstance(item, LoadError):
            report.errors.append(IngestError(item.path, item.reason))
        else:
            documents.append(item)
        notify(ProgressEvent("read", done, len(files)))

    fingerprint = config.fingerprint(embedder)
    stored = stored_documents(driver, database, [d.doc_id for d in documents])
    pending = []
    for document in documents:
        previous = stored.get(document.doc_id)
        if previous and (previous.sha256, previous.fingerprint, previous.tier) == (
            document.sha256, fingerprint, config.tier
        ):
            report.documents_unchanged += 1
        else:
            pending.append(document)

    chunked = [(d, chunk_text(d.text, config.chunk_tokens)) for d in pending]
    total_chunks = sum(len(chunks) for _, chunks in chunked)
    embedded = 0
    notify(ProgressEvent("embed", 0, total_chunks))
    for first in range(0, len(chunked), config.batch_documents):
        batch = chunked[first : first + config.batch_documents]
        texts = [c.text for _, chunks in batch for c in chunks]
        embed_started = time.perf_counter()
        vectors = embedder.embed(texts)
        report.embed_seconds += time.perf_counter() - embed_started
        records = []
        offset = 0
        for document, chunks in batch:
            records.append(_record(document, chunks, vectors[offset : offset + len(chunks)], config, fingerprint))
            offset += len(chunks)
        report.chunks_written += write_documents(driver, database, records)
        report.documents_written += len(records)
        embedded += len(texts)
        notify(ProgressEvent("embed", embedded, total_chunks))
    report.seconds = time.perf_counter() - started
    return report


def _record(
    document: SourceDocument, chunks: Sequence[TextChunk], vectors: Sequence[Sequence[float]],
    config: IngestConfig, fingerprint: str,
) -> DocumentRecord:
    return DocumentRecord(
        doc_id=document.doc_id, tier=config.tier, title=document.title, source=document.source,
        media_type=document.media_type, sha256=document.sha256, fingerprint=fingerprint,
        chars=len(document.text),
        chunks=[ChunkRecord(c.ord, c.start, c.end, c.text, v) for c, v in zip(chunks, vectors)],
    )
