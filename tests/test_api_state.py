"""The HTTP layer keeps no state in a process: jobs and answers live in Neo4j, so any of several
server processes serves any request; every route is guarded by its scope; every documented example
is valid for its route's response model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from medgraphrag.api import create_app
from medgraphrag.api.app import ROUTERS
from medgraphrag.api.auth import new_token, token_hash
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import ApiKey, Settings
from medgraphrag.service import MedGraph
from tests.conftest import neo4j_env, serve

# The scope each operation needs; None: public. A route missing here fails the walk below.
SCOPES: dict[tuple[str, str], str | None] = {
    ("get", "/healthz"): None,
    ("get", "/readyz"): None,
    ("post", "/v1/query"): "read",
    ("post", "/v1/retrieve"): "read",
    ("get", "/v1/answers/{answer_id}/graph"): "read",
    ("post", "/v1/documents"): "ingest",
    ("post", "/v1/documents/json"): "ingest",
    ("get", "/v1/documents"): "read",
    ("get", "/v1/documents/{doc_id}"): "read",
    ("get", "/v1/documents/{doc_id}/text"): "read",
    ("delete", "/v1/documents/{doc_id}"): "ingest",
    ("get", "/v1/jobs/{job_id}"): "ingest",
    ("get", "/v1/concepts"): "read",
    ("get", "/v1/concepts/{concept_id}"): "read",
    ("post", "/v1/cypher"): "read",
    ("get", "/v1/cypher/queries"): "read",
    ("post", "/v1/cypher/queries/{name}"): "read",
    ("post", "/v1/tags/rebuild"): "admin",
}


def test_every_route_in_openapi_needs_its_scope(service: MedGraph) -> None:
    tokens = {scope: new_token() for scope in ("read", "ingest", "admin")}
    keys = [ApiKey(name=scope, sha256=token_hash(token), scopes=[scope]) for scope, token in tokens.items()]
    guarded = MedGraph(service.settings.replace(api={"keys": keys}), embedder=service.embedder)
    with TestClient(create_app(service=guarded)) as client:
        spec = client.get("/openapi.json").json()
        operations = {(method, path) for path, item in spec["paths"].items() for method in item}
        assert operations == set(SCOPES), "every route needs an entry in SCOPES, and every entry a route"
        for (method, path), scope in SCOPES.items():
            url = path.replace("{", "").replace("}", "")  # path parameters named after themselves
            if scope is None:
                assert client.request(method, url).status_code not in (401, 403), url
                continue
            assert client.request(method, url).status_code == 401, f"{method} {path} without a key"
            bad = client.request(method, url, headers={"Authorization": "Bearer mgr_forged"})
            assert bad.status_code == 401, f"{method} {path} with an unknown key"
            for held, token in tokens.items():
                allowed = held in (scope, "admin")
                status = client.request(method, url, headers={"Authorization": f"Bearer {token}"}).status_code
                assert (status not in (401, 403)) == allowed, f"{method} {path} with a {held} key: {status}"


def test_every_documented_example_is_valid_for_its_response_model() -> None:
    checked = 0
    for route in (route for router in ROUTERS for route in router.routes):
        if not isinstance(route, APIRoute) or route.response_model is None:
            continue
        status = route.status_code or 200
        content = (route.responses.get(status) or {}).get("content", {}).get("application/json", {})
        assert "example" in content, f"{route.path}: no example"
        TypeAdapter(route.response_model).validate_python(content["example"])
        checked += 1
    assert checked >= 15


@contextmanager
def _server(settings: Settings, workers: int, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {**neo4j_env(settings), "MEDGRAPH_DATA_DIR": str(data_dir), "MEDGRAPH_API_KEYS": "[]"}
    server = serve(env, data_dir, port=port, workers=workers)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        ready = 0
        while ready < 2 * workers:  # every process has loaded its model when several answer in a row
            try:
                ready = ready + 1 if httpx.get(f"{base}/readyz", timeout=60).status_code == 200 else 0
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "medgraph serve did not come up"
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _fresh(base: str) -> httpx.Client:
    # A new connection per request, so the kernel hands requests to every server process in turn.
    return httpx.Client(base_url=base, timeout=120, headers={"Connection": "close"})


def _finished(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        response = client.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_any_process_serves_any_job_and_any_answer(
    neo4j_settings: Settings, service: MedGraph, corpus: Path, tmp_path: Path, workers: int
) -> None:
    service.ingest([corpus], tier="reference")
    with _server(neo4j_settings, workers, tmp_path) as base, _fresh(base) as client:
        for n in range(20):
            note = f"Visit {n} of patient {n}: productive cough and fever; plan amoxicillin.\n".encode()
            accepted = client.post(
                "/v1/documents", files={"file": (f"visit-{n}.txt", note, "text/plain")}, data={"tier": "user"}
            )
            assert accepted.status_code == 202, accepted.text
            job = _finished(client, accepted.json()["job_id"])
            assert job["status"] == "done" and job["report"]["documents_written"] == 1, job
        for n in range(20):
            answer = client.post("/v1/query", json={"question": f"What treats the cough of visit {n}?", "k": 2})
            assert answer.status_code == 200, answer.text
            picture = client.get(f"/v1/answers/{answer.json()['answer_id']}/graph")
            assert picture.status_code == 200 and 'id="evidence-graph"' in picture.text
        listed = client.get("/v1/documents", params={"tier": "user"}).json()
    assert len(listed) == 20


def test_a_job_of_a_process_that_stopped_reads_as_failed(service: MedGraph) -> None:
    from medgraphrag.jobs import STALE_AFTER_S, Job

    job = Job(
        job_id="j-stale", status="running", tier="user", files=["a.txt"], submitted_at="2026-01-01T00:00:00+00:00"
    )
    service.store.jobs.put(job.job_id, job.model_dump_json(), submitted_at=job.submitted_at, finished=False)
    with TestClient(create_app(service=service)) as client:
        assert client.get("/v1/jobs/j-stale").json()["status"] == "running"
        with service.store.connection.driver.session(database=service.database) as session:
            session.run(
                "MATCH (j:Job {job_id: 'j-stale'}) SET j.updated_at = datetime() - duration({seconds: $s})",
                s=int(STALE_AFTER_S) + 5,
            ).consume()
        stale = client.get("/v1/jobs/j-stale").json()
    assert stale["status"] == "failed" and "stopped" in stale["error"]


def test_kept_jobs_and_answers_are_bounded(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    bounded = MedGraph(service.settings.replace(api={"answers_kept": 3, "jobs_kept": 2}), embedder=service.embedder)
    with TestClient(create_app(service=bounded)) as client:
        answers = [
            client.post("/v1/query", json={"question": "What did the ECG show?", "k": 1}).json()["answer_id"]
            for _ in range(5)
        ]
        assert [client.get(f"/v1/answers/{a}/graph").status_code for a in answers] == [404, 404, 200, 200, 200]
        jobs = []
        for n in range(4):
            job = client.post("/v1/documents/json", json={"documents": [{"id": f"n{n}", "text": "Fever."}]}).json()
            jobs.append(job["job_id"])
            while client.get(f"/v1/jobs/{job['job_id']}").json()["status"] not in ("done", "failed"):
                time.sleep(0.1)
        statuses = [client.get(f"/v1/jobs/{job_id}").status_code for job_id in jobs]
    # A new job prunes the finished ones beyond the newest `jobs_kept`.
    assert statuses == [404, 404, 200, 200]
