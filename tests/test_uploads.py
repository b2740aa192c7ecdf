"""Uploads over the HTTP API: a file is known by its name and a JSON document by its id, so sending
them again replaces them (or changes nothing); a name of any length or script is taken; the
folder an upload waits in is gone once its job ends."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medgraphrag.api import create_app
from medgraphrag.api.uploads import ABANDONED_AFTER_S, JSON_SOURCE, MAX_NAME_BYTES, upload_name
from medgraphrag.service import MedGraph


@pytest.fixture
def client(service: MedGraph, tmp_path: Path) -> Iterator[TestClient]:
    """The API over the test graph, with its own data folder (where uploads wait)."""
    own = MedGraph(service.settings.replace(paths={"data_dir": tmp_path / "data"}), embedder=service.embedder)
    with TestClient(create_app(service=own)) as test_client:
        yield test_client


def _finished(client: TestClient, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 120
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _upload(client: TestClient, name: str, content: bytes) -> dict[str, Any]:
    return _finished(client, client.post("/v1/documents", files={"file": (name, content, "text/plain")}))


def _waiting(tmp_path: Path) -> list[Path]:
    """What waits in the uploads folder."""
    uploads = tmp_path / "data" / "uploads"
    return sorted(uploads.iterdir()) if uploads.exists() else []


def _quotes(client: TestClient, question: str) -> list[str]:
    evidence = client.post("/v1/retrieve", json={"question": question, "k": 5, "mode": "fulltext"}).json()
    return [c["quote"] for c in evidence["citations"]]


def test_a_file_uploaded_again_is_the_same_document(client: TestClient, tmp_path: Path) -> None:
    first = _upload(client, "note.txt", b"Productive cough and fever for five days.\n")
    assert first["status"] == "done" and first["report"]["documents_written"] == 1, first
    assert first["files"] == ["note.txt"]
    [listed] = client.get("/v1/documents").json()
    assert listed["source"] == "upload/note.txt"
    assert _waiting(tmp_path) == []

    again = _upload(client, "note.txt", b"Productive cough and fever for five days.\n")
    assert again["report"]["documents_unchanged"] == 1 and again["report"]["documents_written"] == 0, again
    assert [d["doc_id"] for d in client.get("/v1/documents").json()] == [listed["doc_id"]]

    changed = _upload(client, "note.txt", b"Crushing chest pain; troponin is raised.\n")
    assert changed["report"]["documents_written"] == 1, changed
    documents = client.get("/v1/documents").json()
    assert [d["doc_id"] for d in documents] == [listed["doc_id"]]
    assert any("troponin" in quote for quote in _quotes(client, "troponin"))
    assert not any("cough" in quote for quote in _quotes(client, "cough fever"))
    assert _waiting(tmp_path) == []


def test_a_json_document_posted_again_is_the_same_document(client: TestClient, tmp_path: Path) -> None:
    def post(documents: list[dict[str, str]]) -> dict[str, Any]:
        return _finished(client, client.post("/v1/documents/json", json={"documents": documents}))

    assert post([{"id": "n1", "text": "Fever and cough."}])["report"]["documents_written"] == 1
    again = post([{"id": "n1", "text": "Fever and cough."}])
    assert again["report"]["documents_unchanged"] == 1 and again["report"]["documents_written"] == 0, again
    [document] = client.get("/v1/documents").json()
    assert document["source"] == JSON_SOURCE and document["external_id"] == "n1"

    assert post([{"id": "n1", "text": "Chest pain; troponin raised."}])["report"]["documents_written"] == 1
    assert [d["doc_id"] for d in client.get("/v1/documents").json()] == [document["doc_id"]]
    assert any("troponin" in quote for quote in _quotes(client, "troponin"))

    # Another id is another document; the first stays.
    assert post([{"id": "n2", "text": "Amoxicillin for pneumonia."}])["report"]["documents_written"] == 1
    assert len(client.get("/v1/documents").json()) == 2
    assert _waiting(tmp_path) == []


def test_long_and_non_ascii_names_are_taken(client: TestClient, tmp_path: Path) -> None:
    long = _upload(client, "a" * 300 + ".txt", b"Fever for three days.\n")
    assert long["status"] == "done" and long["report"]["documents_written"] == 1, long
    [name] = long["files"]
    assert name.endswith(".txt") and len(name.encode()) <= MAX_NAME_BYTES

    diabetes = _upload(client, "糖尿病.txt", b"Type 2 diabetes on metformin.\n")
    assert diabetes["status"] == "done" and diabetes["report"]["documents_written"] == 1, diabetes
    assert diabetes["files"] == ["糖尿病.txt"]
    sources = {d["source"] for d in client.get("/v1/documents").json()}
    assert sources == {f"upload/{name}", "upload/糖尿病.txt"}
    assert _waiting(tmp_path) == []


def test_the_folder_of_a_failed_job_is_gone_too(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service: MedGraph = client.app.state.service  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(service, "ingest", broken)
    job = _upload(client, "note.txt", b"Fever.\n")
    assert job["status"] == "failed" and job["error"] == "internal error (RuntimeError)"
    assert _waiting(tmp_path) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/mi note.txt", "mi_note.txt"),
        ("C:\\Users\\me\\Report.PDF", "Report.PDF"),
        ("糖尿病.txt", "糖尿病.txt"),
        ("rép ort (1).md", "rép_ort_1.md"),
        (".env.txt", "env.txt"),
        ("..dots.txt", "dots.txt"),
        ("...", "upload"),
        ("", "upload"),
        (None, "upload"),
        ("a\x00b\x1b[31m.txt", "a_b_31m.txt"),
    ],
)
def test_upload_names_are_safe(given: str | None, expected: str) -> None:
    assert upload_name(given) == expected


def test_upload_names_are_capped_keeping_the_extension() -> None:
    for stem in ("a" * 300, "糖" * 300, "é" * 300):
        name = upload_name(stem + ".jsonl")
        assert name.endswith(".jsonl") and len(name.encode("utf-8")) <= MAX_NAME_BYTES
        assert name.removesuffix(".jsonl").strip(stem[0]) == ""
    assert upload_name("note." + "x" * 40) == "note." + "x" * 16


def test_upload_folders_a_stopped_server_left_are_removed_at_start(service: MedGraph, tmp_path: Path) -> None:
    uploads = tmp_path / "data" / "uploads"
    old, fresh = uploads / "old", uploads / "fresh"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "note.txt").write_text("Fever.\n", encoding="utf-8")
    day_ago = time.time() - ABANDONED_AFTER_S - 60
    os.utime(old, (day_ago, day_ago))
    own = MedGraph(service.settings.replace(paths={"data_dir": tmp_path / "data"}), embedder=service.embedder)
    with TestClient(create_app(service=own)):
        assert _waiting(tmp_path) == [fresh]  # a younger folder may be a running job's
