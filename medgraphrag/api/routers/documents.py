"""Documents: upload files or JSON to ingest in the background, list, show and delete them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import BinaryIO

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from medgraphrag.api.deps import Jobs, Run, Service, require
from medgraphrag.api.examples import example
from medgraphrag.api.uploads import JSON_SOURCE, remove_folder, upload_folder, upload_name, upload_source
from medgraphrag.core.errors import NotFound
from medgraphrag.core.ids import DocumentTier
from medgraphrag.graph.documents import Deletion, DocumentDetail, DocumentSummary, DocumentText
from medgraphrag.jobs import Job

router = APIRouter(prefix="/v1/documents", tags=["documents"])


class DocumentIn(BaseModel):
    """One document given as JSON."""

    id: str = Field(min_length=1, max_length=200, description="your id for it: posting it again replaces it")
    text: str = Field(min_length=1)
    title: str | None = None
    metadata: dict[str, str | int | float | bool | None] = {}


class DocumentsRequest(BaseModel):
    """Documents to ingest, given as JSON."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tier": "user",
                    "documents": [
                        {"id": "note-1", "title": "Clinic note", "text": "Type 2 diabetes on metformin. HbA1c 8.1%."}
                    ],
                }
            ]
        }
    )

    tier: DocumentTier = "user"
    documents: list[DocumentIn] = Field(min_length=1, max_length=10_000)


@router.post(
    "", response_model=Job, status_code=202, dependencies=[require("ingest")], responses=example("job", status=202)
)
async def upload_file(
    service: Service,
    jobs: Jobs,
    run: Run,
    file: UploadFile = File(description="a .txt, .md, .html, .pdf, .jsonl, MedQuAD .xml or PubMedQA .json file"),
    tier: DocumentTier = Form("user"),
) -> Job:
    """Upload one file to ingest in the background; follow it at /v1/jobs/{job_id}. A file is
    known by its name: uploading the same name again replaces the document, or changes nothing if
    its content is the same."""
    name = upload_name(file.filename)
    folder = upload_folder(service.settings)
    path = folder / name
    try:
        await run(_save, file.file, path)
    except BaseException:
        remove_folder(folder)
        raise
    # From here on the job owns the folder, and deletes it when it ends.
    return await run(jobs.submit, [path], tier, names={path: upload_source(name)}, folder=folder)


@router.post(
    "/json", response_model=Job, status_code=202, dependencies=[require("ingest")], responses=example("job", status=202)
)
async def upload_json(request: DocumentsRequest, service: Service, jobs: Jobs, run: Run) -> Job:
    """Documents given as JSON, ingested in the background; follow them at /v1/jobs/{job_id}. A
    document is known by its `id`: posting the same id again replaces it, or changes nothing if
    it is the same."""
    folder = upload_folder(service.settings)
    path = folder / "documents.jsonl"
    try:
        path.write_text(
            "".join(json.dumps(d.model_dump(), ensure_ascii=False) + "\n" for d in request.documents),
            encoding="utf-8",
        )
    except BaseException:
        remove_folder(folder)
        raise
    return await run(jobs.submit, [path], request.tier, names={path: JSON_SOURCE}, folder=folder)


@router.get("", response_model=list[DocumentSummary], dependencies=[require("read")], responses=example("documents"))
async def documents(
    service: Service,
    run: Run,
    tier: DocumentTier | None = None,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=10_000),
) -> list[DocumentSummary]:
    """Stored documents by source: id, tier, title, source, external id, chunks, ingest time."""
    return await run(service.documents, tier=tier, skip=skip, limit=limit)


@router.get("/{doc_id}", response_model=DocumentDetail, dependencies=[require("read")], responses=example("document"))
async def document(doc_id: str, service: Service, run: Run) -> DocumentDetail:
    """A document with its entities, their concepts, negated mentions and links to the other tier."""
    return await run(service.document, doc_id)


@router.get("/{doc_id}/text", response_model=DocumentText, dependencies=[require("read")], responses=example("text"))
async def document_text(doc_id: str, service: Service, run: Run) -> DocumentText:
    """A document's text as its chunks hold it (each chunk's span and words), with every mention:
    span, words, status (affirmed, negated, family, ...), type and concept."""
    return await run(service.document_text, doc_id)


@router.delete("/{doc_id}", response_model=Deletion, dependencies=[require("ingest")], responses=example("deleted"))
async def delete_document(doc_id: str, service: Service, run: Run) -> Deletion:
    """Delete a document and what only it supported; shared entities keep their other provenance."""
    deletion = await run(service.delete_documents, [doc_id])
    if deletion.documents == 0:
        raise NotFound(f"no document {doc_id}")
    return deletion


def _save(upload: BinaryIO, path: Path) -> None:
    """Write an uploaded file to `path`, a piece at a time."""
    with path.open("wb") as out:
        shutil.copyfileobj(upload, out)
