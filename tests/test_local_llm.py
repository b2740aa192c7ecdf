"""Every LLM path against a real model: the local llama.cpp server of `medgraph llm up` serving the
bundled SmolLM2-135M-Instruct. A model this small fails often (bad JSON, invented citations); the
tests assert what must hold whatever it says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from medgraphrag.api import create_app
from medgraphrag.core.processes import LOCAL_LLM_RECORD, free_port
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.models import local_llm
from medgraphrag.nlp.semantic_groups import TAG_CATEGORIES
from medgraphrag.retrieval.evidence import Citation, Trace
from medgraphrag.retrieval.llm_answer import validated_answer
from medgraphrag.service import MedGraph
from tests.conftest import neo4j_env

NOTES = {
    "note-1.txt": (
        "Chief complaint: chest pain.\n\n"
        "The patient is a 64-year-old man with type 2 diabetes treated with metformin. "
        "He denies fever. His father had a myocardial infarction.\n"
    ),
    "note-2.txt": (
        "Community-acquired pneumonia was diagnosed and treated with amoxicillin.\n\n"
        "The cough improved. Return if chest pain develops.\n"
    ),
}
QUESTION = "What was the pneumonia treated with?"


@pytest.fixture(scope="module")
def llm_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings whose data folder holds a running local LLM server (started by `up`, stopped by
    `down` at the end)."""
    state = tmp_path_factory.mktemp("llm-state")
    settings = load_settings(env_file=None, paths={"data_dir": state}, local_llm={"port": free_port()})
    status = local_llm.up(settings)
    assert status.running and status.model == "SmolLM2-135M-Instruct.Q4_1"
    yield settings
    assert local_llm.down(settings).startswith("stopped the local LLM server")
    assert not local_llm.status(settings).running and not (state / LOCAL_LLM_RECORD).exists()


@pytest.fixture
def real_model(llm_state: Settings, neo4j_settings: Settings, tmp_path: Path) -> Settings:
    """The test database's settings with the LLM as `medgraph llm up` sets it (read from the data
    folder, as every medgraph process does)."""
    settings = load_settings(env_file=None, neo4j=neo4j_settings.neo4j, paths={"data_dir": llm_state.paths.data_dir})
    return settings.replace(
        embedding=neo4j_settings.embedding.model_dump(),
        llm={"max_tokens": 400, "timeout_s": 120},
        paths={"data_dir": llm_state.paths.data_dir, "vocab_dir": tmp_path},
    )


def test_up_points_unset_llm_settings_at_the_local_server(llm_state: Settings) -> None:
    settings = load_settings(env_file=None, paths={"data_dir": llm_state.paths.data_dir})
    assert settings.llm.base_url == local_llm.base_url(llm_state)
    assert settings.llm.answer_model == settings.llm.construction_model == "SmolLM2-135M-Instruct.Q4_1"
    # what the user set wins
    chosen = load_settings(
        env_file=None,
        paths={"data_dir": llm_state.paths.data_dir},
        llm={"base_url": "http://127.0.0.1:1/v1", "answer_model": "theirs"},
    )
    assert (chosen.llm.base_url, chosen.llm.answer_model) == ("http://127.0.0.1:1/v1", "theirs")
    # elsewhere nothing changes: offline
    assert load_settings(env_file=None, paths={"data_dir": llm_state.paths.data_dir / "other"}).llm.offline
    env = {"MEDGRAPH_DATA_DIR": str(llm_state.paths.data_dir), "MEDGRAPH_LOCAL_LLM_PORT": str(llm_state.local_llm.port)}
    result = _medgraph(["llm", "status"], env)
    assert result.returncode == 0 and "SmolLM2-135M-Instruct.Q4_1" in result.stdout, result.stderr
    # a second `up` finds it running
    assert local_llm.up(llm_state).pid == local_llm.status(llm_state).pid


def test_a_missing_or_bad_model_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_text("not a model", encoding="utf-8")
    settings = load_settings(env_file=None, paths={"data_dir": tmp_path}, local_llm={"model": bad})
    with pytest.raises(Exception, match=r"model\.gguf: not a GGUF model file"):
        local_llm.up(settings)
    missing = settings.replace(local_llm={"model": tmp_path / "absent.gguf"})
    with pytest.raises(Exception, match=r"absent\.gguf: no such file"):
        local_llm.up(missing)


def _ingest(settings: Settings, embedder, tmp_path: Path) -> MedGraph:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    service = MedGraph(settings, embedder=embedder)
    report = service.ingest([folder], tier="user")
    # whatever the model got wrong, both documents are complete
    assert report.errors == [] and report.documents_written == 2
    assert report.llm is not None and report.llm.model == "SmolLM2-135M-Instruct.Q4_1"
    # (the replies are cached in the data folder: a later test may find them all there)
    assert report.llm.calls + report.llm.cache_hits > 0
    assert report.llm.calls == 0 or (report.llm.completion_tokens > 0 and report.llm.seconds > 0)
    assert set(report.llm_fallbacks) == {"chunking", "extraction", "relations", "tag summaries"}
    return service


def test_llm_construction_with_a_real_model(
    real_model: Settings, driver: Driver, embedder, clinical_vocabulary: None, tmp_path: Path
) -> None:
    with _ingest(real_model, embedder, tmp_path) as service:
        texts = {d.source.rsplit("/", 1)[-1]: d for d in service.documents(tier="user")}
        assert set(texts) == set(NOTES)
        mentions = service.document_mentions([d.doc_id for d in texts.values()])
        assert mentions, "no entity was stored"
        by_doc = {d.doc_id: NOTES[name] for name, d in texts.items()}
        for m in mentions:
            # every stored entity is found at its offsets
            assert by_doc[m.doc_id][m.start : m.end] == m.surface
        records, _, _ = driver.execute_query(
            "MATCH (c:Chunk)-[m:MENTIONS]->(:Entity) RETURN c.start AS cs, c.end AS ce, m.start AS ms, m.end AS me"
        )
        assert records and all(r["cs"] <= r["ms"] and r["me"] <= r["ce"] for r in records)
        # an entity without a concept is the only one of its name and type (merged by name)
        unlinked, _, _ = driver.execute_query(
            "MATCH (e:Entity) WHERE e.concept_id IS NULL "
            "WITH toLower(e.name) AS name, e.type AS type, e.tier AS tier, count(*) AS n WHERE n > 1 RETURN name"
        )
        assert unlinked == []
        # tag summaries: only the fixed categories, whoever wrote them
        tags, _, _ = driver.execute_query("MATCH (t:Tag) RETURN t.categories AS categories")
        assert tags
        for tag in tags:
            assert set(tag["categories"]) <= set(TAG_CATEGORIES)


def test_an_answer_and_its_stream_from_a_real_model(
    real_model: Settings, driver: Driver, embedder, clinical_vocabulary: None, tmp_path: Path
) -> None:
    with _ingest(real_model, embedder, tmp_path) as service:
        answer = service.query(QUESTION, k=4)
        known = {c.n for c in answer.citations}
        assert answer.mode == "llm" and answer.text
        # every kept citation resolves to evidence; invented ones were removed and listed
        assert all(n in known for claim in answer.claims for n in claim.citations)
        assert all(n in known for n in map(int, re.findall(r"\[(\d+)\]", answer.text)))
        assert answer.trace.llm is not None and answer.trace.llm.model == "SmolLM2-135M-Instruct.Q4_1"
        assert answer.trace.llm.completion_tokens > 0 and answer.trace.llm.seconds > 0
        with TestClient(create_app(real_model, service=service)) as client:
            response = client.post("/v1/query", json={"question": QUESTION, "k": 4, "stream": True})
        assert response.status_code == 200
        events = [
            (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
            for block in response.text.strip().split("\n\n")
        ]
        names = [name for name, _ in events]
        assert names[0] == "evidence" and names[-1] == "done" and "answer" in names
        final = next(data for name, data in events if name == "answer")
        streamed = "".join(data["text"] for name, data in events if name == "delta")
        # the deltas are the model's text; the answer is that text with its citations validated
        ledger = final["trace"]["llm"]
        assert streamed and ledger["calls"] + ledger["cache_hits"] >= 1  # (the same question: from the cache)
        assert final["text"] == _validated_text(streamed, final)


def _validated_text(streamed: str, final: dict) -> str:
    citations = [Citation.model_validate(c) for c in final["citations"]]
    return validated_answer(final["question"], streamed, citations, Trace.model_validate(final["trace"])).text


def test_the_cli_answers_with_the_local_model(
    real_model: Settings, embedder, clinical_vocabulary: None, tmp_path: Path
) -> None:
    _ingest(real_model, embedder, tmp_path).close()
    env = {**neo4j_env(real_model), "MEDGRAPH_DATA_DIR": str(real_model.paths.data_dir)}
    result = _medgraph(["query", QUESTION, "--k", "3"], env)
    assert result.returncode == 0, result.stderr
    assert "LLM SmolLM2-135M-Instruct.Q4_1" in result.stdout


def _medgraph(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "medgraphrag", *args],
        env={**os.environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
