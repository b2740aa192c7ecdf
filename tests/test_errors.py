"""One error model: every failure the library means is a `MedGraphError` whose class says the exit
status and the HTTP status; the CLI and the API each handle the whole tree in one place; anything
else is a bug, answered 500 with an incident id; a document an LLM cannot build fails alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from medgraphrag.api import create_app
from medgraphrag.cli import app
from medgraphrag.core import errors
from medgraphrag.core.settings import Settings
from medgraphrag.ingest.construction import OnError
from medgraphrag.service import MedGraph
from tests.conftest import neo4j_env
from tests.openai_server import OpenAIServer

NOTES = {
    "good.txt": "Pneumonia was treated with amoxicillin. Fever resolved.\n",
    "bad.txt": "FAIL: chest pain with fever and cough.\n",
}


def test_every_error_class_has_an_exit_status_and_an_http_status() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.MedGraphError)]
    assert len(classes) >= 14
    for kind in classes:
        assert isinstance(kind.exit_code, int) and kind.exit_code > 0
        assert 400 <= kind.http_status <= 599
    assert errors.InvalidRequest.exit_code == 2 and errors.InvalidRequest.http_status == 422
    assert errors.GraphUnavailable.http_status == 503 and errors.LLMError.exit_code == 4
    assert issubclass(errors.LLMOutputError, errors.LLMError) and issubclass(
        errors.SchemaConflict, errors.GraphUnavailable
    )


def test_a_bug_is_a_500_with_an_incident_id_and_no_internals(
    service: MedGraph, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Strict(BaseModel):
        count: int

    def broken(**_: Any) -> list[object]:
        Strict.model_validate({"count": "many"})  # a pydantic ValidationError is a ValueError: still a bug
        return []

    monkeypatch.setattr(service, "documents", broken)
    with TestClient(create_app(service=service), raise_server_exceptions=False) as client:
        response = client.get("/v1/documents")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal" and "incident" in error["message"]
    assert "count" not in response.text and "many" not in response.text
    incident = error["message"].split("incident ", 1)[1].split(";", 1)[0]
    assert any(incident in record.getMessage() and record.exc_info for record in caplog.records)
    with pytest.raises(ValidationError):
        Strict.model_validate({"count": "many"})


def test_unknown_routes_and_methods_answer_the_error_body(service: MedGraph) -> None:
    with TestClient(create_app(service=service)) as client:
        missing = client.get("/v1/nothing-here")
        wrong = client.put("/v1/documents")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_a_rebuild_while_another_runs_is_409(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    generation = service.store.tags.begin_rebuild()
    try:
        with TestClient(create_app(service=service)) as client:
            response = client.post("/v1/tags/rebuild")
    finally:
        service.store.tags.abandon(generation)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def _responder(body: dict[str, Any]) -> str | tuple[int, str]:
    """A construction model that fails on any passage containing FAIL, and answers the rest."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if "FAIL" in user and "You answer medical questions" not in system and "You improve an answer" not in system:
        return 500, '{"error": {"message": "the model crashed"}}'
    if "segment medical documents" in system:
        return json.dumps({"same_topic": True})
    if "extract medical entities" in system:
        passage = user.split("PASSAGE:\n", 1)[1].lower()
        return json.dumps(
            {
                "entities": [
                    {"name": n, "type": "Disorders", "context": "", "span": n}
                    for n in ("pneumonia", "fever")
                    if n in passage
                ]
            }
        )
    if "state the relationships" in system:
        return json.dumps({"relations": []})
    if "summarize a medical question" in system:
        return json.dumps({"terms": []})
    if "Generate a structured summary" in system or "merge the tag summaries" in system:
        return json.dumps({"categories": {"Problems and symptoms": ["pneumonia"]}})
    return "Pneumonia is treated with amoxicillin [1]."


def _llm_settings(settings: Settings, server: OpenAIServer, data_dir: Path) -> Settings:
    return settings.replace(
        llm={"base_url": server.base_url, "answer_model": "test-model", "max_retries": 0}, paths={"data_dir": data_dir}
    )


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_what_the_llm_cannot_build_is_built_offline(
    neo4j_settings: Settings, service: MedGraph, clinical_vocabulary: None, tmp_path: Path, openai_server: Any
) -> None:
    server = openai_server(_responder)
    settings = _llm_settings(neo4j_settings, server, tmp_path / "state")
    with MedGraph(settings, embedder=service.embedder) as llm_service:
        report = llm_service.ingest([_notes(tmp_path / "notes")], tier="user", on_error=OnError.RAISE)
        # the model failed on bad.txt: that document was done by the offline stages, nothing was lost
        assert report.documents_written == 2 and report.documents_failed == 0 and report.errors == []
        assert report.llm_fallbacks["extraction"] >= 1
        assert sorted(Path(d.source).name for d in llm_service.documents()) == ["bad.txt", "good.txt"]
        bad = next(d for d in llm_service.documents() if d.source.endswith("bad.txt"))
        assert llm_service.document_mentions([bad.doc_id]), "the offline extraction found nothing"
        assert report.llm is not None and report.llm.model == "test-model" and report.llm.calls > 0
        assert report.llm.prompt_tokens > 0 and report.llm.seconds >= 0

        answer = llm_service.query("How is pneumonia treated?", k=2)
        assert answer.mode == "llm" and answer.trace.llm is not None and answer.trace.llm.calls >= 2


@pytest.fixture
def cli_llm_env(
    monkeypatch: pytest.MonkeyPatch, neo4j_settings: Settings, driver: object, tmp_path: Path, openai_server: Any
) -> OpenAIServer:
    server = openai_server(_responder)
    monkeypatch.chdir(tmp_path)
    llm = {
        "MEDGRAPH_LLM_BASE_URL": server.base_url,
        "MEDGRAPH_LLM_ANSWER_MODEL": "test-model",
        "MEDGRAPH_LLM_MAX_RETRIES": "0",
        "MEDGRAPH_DATA_DIR": str(tmp_path / "state"),
    }
    for name, value in {**neo4j_env(neo4j_settings), **llm}.items():
        monkeypatch.setenv(name, value)
    return server


def test_the_cli_reports_llm_failures_without_a_traceback(cli_llm_env: OpenAIServer, tmp_path: Path) -> None:
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(_notes(tmp_path / "notes")), "--tier", "user"])
    assert ingested.exit_code == 0, ingested.output
    assert "LLM failed, done offline" in ingested.output and "extraction 1" in ingested.output
    assert "bad.txt" in ingested.output  # the log names the document and what failed
    assert "Traceback" not in ingested.output

    rebuilt = runner.invoke(app, ["tags", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output

    cli_llm_env.responder = lambda body: (503, "the model is gone")
    asked = runner.invoke(app, ["query", "How is pneumonia treated?"])
    # the answer model is gone: the extractive answer, saying why
    assert asked.exit_code == 0, asked.output
    assert "the answer is extractive" in asked.output and "HTTP 503" in asked.output
    assert "Traceback" not in asked.output


def test_the_cli_names_a_bad_setting_and_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDGRAPH_U_BEAM", "many")
    result = CliRunner().invoke(app, ["documents", "list"])
    assert result.exit_code == 2 and "MEDGRAPH_U_BEAM" in result.output and "Traceback" not in result.output


def test_reading_commands_do_not_load_the_embedding_model(
    neo4j_settings: Settings, service: MedGraph, corpus: Path, clinical_vocabulary: None, tmp_path: Path
) -> None:
    service.ingest([corpus], tier="user")
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from medgraphrag.cli import app\n"
        "runner = CliRunner()\n"
        "for command in (['documents', 'list'], ['concept', 'show', 'C0032285'],\n"
        "                ['cypher', 'query', 'MATCH (d:Document) RETURN count(d) AS n']):\n"
        "    result = runner.invoke(app, command)\n"
        "    assert result.exit_code == 0, (command, result.output)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'onnxruntime') if m in sys.modules))\n"
    )
    env = {**neo4j_env(neo4j_settings), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
