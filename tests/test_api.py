import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from medgraphrag.api import create_app
from medgraphrag.graph.server import free_port
from medgraphrag.service import MedGraph
from tests.conftest import make_settings


def test_query_endpoint_returns_cited_answer(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="reference")
    with TestClient(create_app(service=service)) as client:
        response = client.post("/v1/query", json={"question": "How do you treat pneumonia?", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert [c["kind"] for c in body["citations"]][:2] == ["chunk", "chunk"]
    assert body["trace"]["mode"] == "u-retrieve"
    top = body["citations"][0]
    assert top["source"].endswith("pneumonia.txt") and top["n"] == 1
    assert Path(top["source"]).read_text(encoding="utf-8")[top["start"] : top["end"]] == top["quote"]
    numbers = {c["n"] for c in body["citations"]}
    assert body["claims"] and all(set(claim["citations"]) <= numbers for claim in body["claims"])


def test_query_endpoint_validates_input(service: MedGraph) -> None:
    with TestClient(create_app(service=service)) as client:
        assert client.post("/v1/query", json={"question": ""}).status_code == 422
        assert client.post("/v1/query", json={"question": "x", "k": 0}).status_code == 422
        assert client.post("/v1/query", json={"question": "x", "tier": "vocab"}).status_code == 422
        assert client.post("/v1/query", json={"question": "   "}).status_code == 422


def test_healthz_reports_neo4j_and_counts(service: MedGraph, corpus: Path) -> None:
    report = service.ingest([corpus], tier="user")
    with TestClient(create_app(service=service)) as client:
        body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["neo4j"].startswith("5.26")
    assert body["counts"]["Document"] == 3 and body["counts"]["Chunk"] == report.chunks_written


def test_unreachable_neo4j_is_503_with_a_remedy(embedder) -> None:
    settings = make_settings(neo4j_uri=f"bolt://127.0.0.1:{free_port()}")
    with TestClient(create_app(service=MedGraph(settings, embedder=embedder))) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "medgraph db up" in response.json()["detail"]


def test_medgraph_serve_answers_over_http(neo4j_settings, service: MedGraph, corpus: Path, tmp_path: Path) -> None:
    service.ingest([corpus], tier="reference")
    port = free_port()
    env = {
        **os.environ, "NEO4J_URI": neo4j_settings.neo4j_uri, "NEO4J_USERNAME": neo4j_settings.neo4j_username,
        "NEO4J_PASSWORD": neo4j_settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": neo4j_settings.neo4j_database,
    }
    server = subprocess.Popen([sys.executable, "-m", "medgraphrag", "serve", "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=60)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "medgraph serve did not come up"
                time.sleep(0.5)
        assert health.status_code == 200 and health.json()["counts"]["Document"] == 3
        answer = httpx.post(f"{base}/v1/query", json={"question": "What does troponin show?", "k": 1}, timeout=60)
        assert answer.status_code == 200
        assert answer.json()["citations"][0]["source"].endswith("mi.md")
    finally:
        server.terminate()
        server.wait(timeout=30)
