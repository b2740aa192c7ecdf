import json
import subprocess
import time
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from medgraphrag.api import create_app
from medgraphrag.api.auth import new_token, token_hash
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import ApiKey
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.service import MedGraph
from tests.conftest import make_settings, neo4j_env, serve


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


def test_a_documents_text_comes_from_its_chunks_with_its_mentions(
    service: MedGraph, corpus: Path, clinical_vocabulary: None
) -> None:
    service.ingest([corpus / "notes"], tier="user")
    doc = next(d for d in service.documents() if d.source.endswith("pneumonia.txt"))
    source = Path(doc.source).read_text(encoding="utf-8")
    with TestClient(create_app(service=service)) as client:
        body = client.get(f"/v1/documents/{doc.doc_id}/text").json()
        listed = {d["doc_id"]: d for d in client.get("/v1/documents").json()}
        assert client.get("/v1/documents/no-such-document/text").status_code == 404
        page = client.get("/")
        script = client.get("/app/app.js")
        assert client.get("/app/secret.py").status_code == 404
    assert all(source[c["start"] : c["end"]] == c["text"] for c in body["chunks"]) and body["chunks"]
    assert {m["surface"].lower() for m in body["mentions"]} >= {"fever", "cough", "amoxicillin"}
    assert all(source[m["start"] : m["end"]] == m["surface"] for m in body["mentions"])
    # the list counts each document's distinct entities
    assert listed[doc.doc_id]["entities"] == len({m["concept_id"] or m["surface"].lower() for m in body["mentions"]})
    # the web app: its page and script, under a policy that loads nothing from elsewhere
    assert page.status_code == 200 and '<script src="/app/app.js">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert script.headers["content-type"].startswith("text/javascript") and "function route()" in script.text


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


# The routes that need Neo4j, each with what it is sent.
NEEDS_NEO4J = [
    ("get", "/healthz", {}),
    ("get", "/readyz", {}),
    ("post", "/v1/query", {"json": {"question": "How is pneumonia treated?"}}),
    ("post", "/v1/query", {"json": {"question": "How is pneumonia treated?", "stream": True}}),
    ("post", "/v1/retrieve", {"json": {"question": "How is pneumonia treated?", "mode": "hybrid"}}),
    ("get", "/v1/documents", {}),
    ("get", "/v1/concepts?q=fever", {}),
]


def _assert_unavailable(client: TestClient, remedy: str) -> None:
    for method, path, kwargs in NEEDS_NEO4J:
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 503, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "unavailable" and remedy in error["message"], (path, error)
        # The operator's details (the server's address) stay in the server log.
        assert "bolt://" not in response.text and "127.0.0.1" not in response.text, response.text


def test_unreachable_neo4j_is_503_with_a_remedy(embedder) -> None:
    settings = make_settings(neo4j={"uri": f"bolt://127.0.0.1:{free_port()}"})
    with TestClient(create_app(service=MedGraph(settings, embedder=embedder))) as client:
        _assert_unavailable(client, "medgraph db status")


@pytest.mark.slow
def test_neo4j_stopping_while_the_api_runs_is_503_with_a_remedy(embedder, tmp_path: Path) -> None:
    password = "medgraph-scratch-pw"
    with scratch_local_server(password) as uri:
        settings = make_settings(neo4j={"uri": uri, "password": password}, paths={"data_dir": tmp_path})
        client = TestClient(create_app(service=MedGraph(settings, embedder=embedder)), raise_server_exceptions=False)
        client.__enter__()
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    try:
        # The remedy of a connection that broke: `medgraph db status` (graph/connection.py).
        _assert_unavailable(client, "medgraph db")
    finally:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("workers", [1, 2])
def test_medgraph_serve_answers_over_http_with_a_key(
    neo4j_settings, service: MedGraph, corpus: Path, tmp_path: Path, workers: int
) -> None:
    service.ingest([corpus], tier="reference")
    port = free_port()
    token = new_token()
    keys = json.dumps([{"name": "clinic", "sha256": token_hash(token), "scopes": ["read"]}])
    server = serve({**neo4j_env(neo4j_settings), "MEDGRAPH_API_KEYS": keys}, tmp_path, port=port, workers=workers)
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
        question = {"question": "What does troponin show?", "k": 1}
        assert httpx.post(f"{base}/v1/query", json=question, timeout=60).status_code == 401
        answer = httpx.post(f"{base}/v1/query", json=question, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == 200
        assert answer.json()["citations"][0]["source"].endswith("mi.md")
        assert answer.json()["claims"] and all(c["citations"] for c in answer.json()["claims"])
    finally:
        server.terminate()
        server.wait(timeout=30)


def _client(service: MedGraph, **groups: dict[str, object]) -> TestClient:
    if groups:
        service = MedGraph(service.settings.replace(**groups), embedder=service.embedder)
    return TestClient(create_app(service=service))


def _keys() -> tuple[dict[str, str], list[ApiKey]]:
    tokens = {scope: new_token() for scope in ("read", "ingest", "admin")}
    return tokens, [ApiKey(name=scope, sha256=token_hash(token), scopes=[scope]) for scope, token in tokens.items()]


def test_keys_and_scopes_guard_every_endpoint(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    tokens, keys = _keys()
    calls = [
        ("post", "/v1/query", "read", {"json": {"question": "troponin"}}),
        ("post", "/v1/retrieve", "read", {"json": {"question": "troponin"}}),
        ("get", "/v1/documents", "read", {}),
        ("get", "/v1/concepts?q=fever", "read", {}),
        ("post", "/v1/cypher", "read", {"json": {"query": "RETURN 1 AS one"}}),
        ("get", "/v1/cypher/queries", "read", {}),
        ("post", "/v1/documents/json", "ingest", {"json": {"documents": [{"id": "n1", "text": "Fever."}]}}),
        ("post", "/v1/tags/rebuild", "admin", {}),
    ]
    with _client(service, api={"keys": keys}) as client:
        for method, path, scope, kwargs in calls:
            missing = getattr(client, method)(path, **kwargs)
            assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized", path
            assert missing.headers["www-authenticate"] == "Bearer"
            wrong = getattr(client, method)(path, headers={"Authorization": "Bearer mgr_not-a-key"}, **kwargs)
            assert wrong.status_code == 401, path
            other = "ingest" if scope != "ingest" else "read"
            refused = getattr(client, method)(path, headers={"Authorization": f"Bearer {tokens[other]}"}, **kwargs)
            assert refused.status_code == 403 and scope in refused.json()["error"]["message"], path
            for allowed in (scope, "admin"):
                ok = getattr(client, method)(path, headers={"Authorization": f"Bearer {tokens[allowed]}"}, **kwargs)
                assert ok.status_code in (200, 202), (path, ok.text)
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").json()["status"] == "ready"


def test_bad_payloads_get_structured_errors_without_internals(service: MedGraph) -> None:
    with _client(service) as client:
        for body in (
            {"question": ""},
            {"question": "x", "k": 0},
            {"question": "x", "tier": "vocab"},
            {"question": "x", "mode": "graph"},
            {"k": 3},
            [1, 2],
        ):
            response = client.post("/v1/query", json=body)
            assert response.status_code == 422, body
            error = response.json()["error"]
            assert error["code"] == "invalid_request" and error["details"] and "Traceback" not in response.text
        assert client.post("/v1/query", json={"question": "   "}).json()["error"]["message"] == "the question is empty"
        assert (
            client.post("/v1/query", content=b"{not json", headers={"content-type": "application/json"}).status_code
            == 422
        )
        assert client.get("/v1/documents/nope").json() == {
            "error": {"code": "not_found", "message": "no document nope"}
        }
        assert client.get("/v1/jobs/nope").status_code == 404
        assert client.get("/v1/answers/nope/graph").status_code == 404
        assert client.get("/v1/concepts/NOPE:1").status_code == 404
        assert client.get("/v1/concepts?q=").status_code == 422


def test_query_retrieve_stream_and_the_answer_picture(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    question = {"question": "What did the ECG show?", "k": 2}
    with _client(service) as client:
        evidence = client.post("/v1/retrieve", json=question).json()
        assert set(evidence) == {"question", "citations", "trace"} and evidence["trace"]["mode"] == "u-retrieve"
        assert evidence["citations"][0]["source"].endswith("mi.md")

        answer = client.post("/v1/query", json=question).json()
        assert [c["n"] for c in answer["citations"]] == [c["n"] for c in evidence["citations"]]
        picture = client.get(f"/v1/answers/{answer['answer_id']}/graph")
        assert picture.status_code == 200 and picture.headers["content-type"].startswith("text/html")
        assert 'id="evidence-graph"' in picture.text

        with client.stream("POST", "/v1/query", json={**question, "stream": True}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [line.removeprefix("event: ") for line in response.iter_lines() if line.startswith("event: ")]
        claims = events.count("claim")
        assert events == ["evidence"] + ["claim"] * claims + ["answer", "done"] and claims >= 1
        # Retrieval errors come before the stream starts: a proper status, not a broken stream.
        assert client.post("/v1/query", json={"question": " ", "stream": True}).status_code == 422


def test_documents_upload_runs_as_a_job_with_progress(service: MedGraph, tmp_path: Path) -> None:
    with _client(service) as client:
        note = b"Crushing chest pain. Troponin is raised: myocardial infarction.\n"
        accepted = client.post(
            "/v1/documents", files={"file": ("../../etc/mi note.txt", note, "text/plain")}, data={"tier": "user"}
        )
        assert accepted.status_code == 202
        job = _finished(client, accepted.json()["job_id"])
        assert job["status"] == "done" and job["files"] == ["mi_note.txt"]
        assert job["report"]["documents_written"] == 1 and job["progress"]["build"]["done"] == 1
        listed = client.get("/v1/documents").json()
        assert [Path(d["source"]).name for d in listed] == ["mi_note.txt"]

        bad = _finished(
            client,
            client.post("/v1/documents", files={"file": ("scan.pdf", b"not a pdf", "application/pdf")}).json()[
                "job_id"
            ],
        )
        assert bad["status"] == "done" and bad["report"]["errors"][0]["path"] == "scan.pdf"
        assert len(client.get("/v1/documents").json()) == 1  # nothing half-written

        given = client.post(
            "/v1/documents/json",
            json={
                "tier": "reference",
                "documents": [
                    {"id": "ref-1", "title": "Pneumonia", "text": "Amoxicillin treats community-acquired pneumonia."}
                ],
            },
        )
        assert _finished(client, given.json()["job_id"])["report"]["documents_written"] == 1
        assert client.post("/v1/documents/json", json={"documents": []}).status_code == 422

        doc_id = next(d["doc_id"] for d in client.get("/v1/documents?tier=reference").json())
        assert client.delete(f"/v1/documents/{doc_id}").json()["documents"] == 1
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 404


def _finished(client: TestClient, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_concepts_and_cypher_endpoints(service: MedGraph, corpus: Path, clinical_vocabulary: None) -> None:
    service.ingest([corpus], tier="user")
    with _client(service) as client:
        found = client.get("/v1/concepts", params={"q": "heart attack"}).json()
        assert found[0]["concept_id"] == "C0027051"
        assert client.get("/v1/concepts/C0027051").json()["concept"]["name"] == "Myocardial infarction"
        rows = client.post(
            "/v1/cypher",
            json={
                "query": "MATCH (c:Concept {concept_id: $id}) RETURN c.name AS name",
                "parameters": {"id": "C0032285"},
            },
        ).json()
        assert rows["columns"] == ["name"] and rows["rows"] == [["Pneumonia"]] and rows["truncated"] is False
        refused = client.post("/v1/cypher", json={"query": "CREATE (:Concept {concept_id: 'x'})"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_request"
        saved = {q["name"]: q for q in client.get("/v1/cypher/queries").json()}
        assert {"concept-documents", "graph-statistics"} <= set(saved)
        assert saved["concept-documents"]["parameters"][0]["name"] == "concept_id"
        documents = client.post("/v1/cypher/queries/concept-documents", json={"parameters": {"concept_id": "C0032285"}})
        assert documents.status_code == 200, documents.text
        body = documents.json()
        assert any("pneumonia.txt" in json.dumps(row) for row in body["rows"])
        missing = client.post("/v1/cypher/queries/concept-documents", json={"parameters": {}})
        assert missing.status_code == 400 and "concept_id" in missing.json()["error"]["message"]
        assert client.post("/v1/cypher/queries/nope", json={}).status_code == 404


def test_limits_on_size_and_time(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    with _client(service, api={"max_request_mb": 0.001}) as client:
        response = client.post("/v1/query", json={"question": "x" * 2000})
        assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    with _client(service, api={"request_timeout_s": 0.001}) as client:
        response = client.post("/v1/query", json={"question": "What did the ECG show?"})
        assert response.status_code == 504 and response.json()["error"]["code"] == "timeout"


def test_shutdown_waits_for_requests_past_their_time_limit(
    service: MedGraph, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A request that answered 504 runs on in its thread; closing the driver under it broke it.
    service.ingest([corpus], tier="user")
    scoped = MedGraph(service.settings.replace(api={"request_timeout_s": 0.001}), embedder=service.embedder)
    app = create_app(service=scoped)
    running_at_close: list[int] = []
    close = scoped.close

    def observed_close() -> None:
        running_at_close.append(app.state.in_flight.running)
        close()

    monkeypatch.setattr(scoped, "close", observed_close)
    with TestClient(app) as client:
        response = client.post("/v1/query", json={"question": "What did the ECG show?"})
        assert response.status_code == 504
    assert running_at_close == [0]


def test_the_llm_answer_streams_as_it_is_generated(
    service: MedGraph, corpus: Path, tmp_path: Path, openai_server
) -> None:
    service.ingest([corpus], tier="user")
    text = "The ECG shows ST elevation [1]. Troponin is raised [1][7]."

    def responder(body: dict) -> str:
        system = body["messages"][0]["content"]
        if "summarize a medical question" in system:
            return '{"terms": []}'
        return (
            text
            if "answer medical questions" in system
            else body["messages"][-1]["content"].split("LAST RESPONSE: ", 1)[1].split("\n\nSUMMARY:", 1)[0]
        )

    server = openai_server(responder)
    with _client(
        service, llm={"base_url": server.base_url, "answer_model": "test-model"}, paths={"data_dir": tmp_path / "state"}
    ) as client:
        with client.stream(
            "POST", "/v1/query", json={"question": "What did the ECG show?", "k": 2, "stream": True}
        ) as response:
            lines = list(response.iter_lines())
    events = [
        (a.removeprefix("event: "), json.loads(b.removeprefix("data: ")))
        for a, b in pairwise(lines)
        if a.startswith("event: ")
    ]
    names = [name for name, _ in events]
    assert names[0] == "evidence" and names[-2:] == ["answer", "done"]
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 3 and "".join(deltas) == text
    assert names.index("claim") > max(i for i, n in enumerate(names) if n == "delta")
    answer = events[-2][1]
    assert answer["mode"] == "llm" and answer["removed_citations"] == [7] and "[7]" not in answer["text"]
    assert server.requests[-1]["stream"] is True


def test_every_endpoint_documents_an_example(service: MedGraph) -> None:
    with _client(service) as client:
        spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 17
    for path, method, op in operations:
        success = next(r for status, r in op["responses"].items() if status.startswith("2"))
        examples = [m for m in success.get("content", {}).values() if "example" in m or "examples" in m]
        assert examples, f"{method.upper()} {path}: no response example"
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            assert "examples" in schemas[name], f"{method.upper()} {path}: no request example"


def test_without_keys_serve_listens_on_loopback_only_and_says_so(neo4j_settings, tmp_path: Path) -> None:
    port = free_port()
    server = serve(
        {**neo4j_env(neo4j_settings), "MEDGRAPH_API_KEYS": "[]"},
        tmp_path,
        port=port,
        host="0.0.0.0",
        stderr=subprocess.PIPE,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while not any("Uvicorn running on" in line for line in lines) and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line and server.poll() is not None:
                break
            lines.append(line)
        output = "".join(lines)
        assert "no API key configured: listening on 127.0.0.1, not 0.0.0.0" in output
        assert f"Uvicorn running on http://127.0.0.1:{port}" in output
    finally:
        server.terminate()
        server.wait(timeout=30)
