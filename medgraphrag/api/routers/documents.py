"""Documents: upload files or JSON to ingest in the background, list, show and delete them."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from medgraphrag.api.deps import Jobs, Run, Service, require
from medgraphrag.api.examples import example
from medgraphrag.core.errors import NotFound
from medgraphrag.core.ids import DocumentTier
from medgraphrag.core.settings import Settings
from medgraphrag.graph.documents import Deletion, DocumentDetail, DocumentSummary
from medgraphrag.jobs import Job

router = APIRouter(prefix="/v1/documents", tags=["documents"])
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class DocumentIn(BaseModel):
    """One document given as JSON."""

    id: str = Field(min_length=1, max_length=200, description="your id for it (the source)")
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
    """Upload one file to ingest in the background; follow it at /v1/jobs/{job_id}."""
    name = _SAFE_NAME.sub("_", Path(file.filename or "upload.txt").name).strip("._") or "upload.txt"
    path = _upload_folder(service.settings) / name
    path.write_bytes(await file.read())
    return await run(jobs.submit, [path], tier)


@router.post(
    "/json", response_model=Job, status_code=202, dependencies=[require("ingest")], responses=example("job", status=202)
)
async def upload_json(request: DocumentsRequest, service: Service, jobs: Jobs, run: Run) -> Job:
    """Documents given as JSON, ingested in the background; follow them at /v1/jobs/{job_id}."""
    path = _upload_folder(service.settings) / "documents.jsonl"
    path.write_text(
        "".join(json.dumps(d.model_dump(), ensure_ascii=False) + "\n" for d in request.documents), encoding="utf-8"
    )
    return await run(jobs.submit, [path], request.tier)


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


@router.delete("/{doc_id}", response_model=Deletion, dependencies=[require("ingest")], responses=example("deleted"))
async def delete_document(doc_id: str, service: Service, run: Run) -> Deletion:
    """Delete a document and what only it supported; shared entities keep their other provenance."""
    deletion = await run(service.delete_documents, [doc_id])
    if deletion.documents == 0:
        raise NotFound(f"no document {doc_id}")
    return deletion


def _upload_folder(settings: Settings) -> Path:
    folder = settings.paths.data_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder
