import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.errors import ConfigurationError
from medgraphrag.core.settings import ApiKey, IngestSettings, LocalNeo4jSettings, Settings, load_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("NEO4J_", "MEDGRAPH_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


KEY = {"name": "clinic", "sha256": hashlib.sha256(b"token").hexdigest(), "scopes": ["read", "ingest"]}


@pytest.mark.parametrize(
    ("variable", "value", "group", "field", "expected"),
    [
        (
            "NEO4J_URI",
            "neo4j+s://example.databases.neo4j.io:7688",
            "neo4j",
            "uri",
            "neo4j+s://example.databases.neo4j.io:7688",
        ),
        ("NEO4J_USERNAME", "clinician", "neo4j", "username", "clinician"),
        ("NEO4J_DATABASE", "clinic", "neo4j", "database", "clinic"),
        ("MEDGRAPH_NEO4J_LOCAL_HEAP", "4g", "local_neo4j", "heap", "4g"),
        ("MEDGRAPH_NEO4J_LOCAL_PAGECACHE_MB", "1024", "local_neo4j", "pagecache_mb", 1024),
        ("MEDGRAPH_NEO4J_START_TIMEOUT_S", "30", "local_neo4j", "start_timeout_s", 30.0),
        ("MEDGRAPH_DATA_DIR", "state", "paths", "data_dir", Path("state")),
        ("MEDGRAPH_VOCAB_DIR", "vocab", "paths", "vocab_dir", Path("vocab")),
        ("MEDGRAPH_EMBEDDING_BATCH_SIZE", "8", "embedding", "batch_size", 8),
        ("MEDGRAPH_EMBEDDING_DEVICE", "cuda:1", "embedding", "device", "cuda:1"),
        ("MEDGRAPH_EMBEDDING_THREADS", "2", "embedding", "threads", 2),
        ("MEDGRAPH_LLM_TIMEOUT_S", "7.5", "llm", "timeout_s", 7.5),
        ("MEDGRAPH_LLM_MAX_RETRIES", "0", "llm", "max_retries", 0),
        ("MEDGRAPH_LLM_MAX_TOKENS", "512", "llm", "max_tokens", 512),
        ("MEDGRAPH_CHUNK_TOKENS", "120", "ingest", "chunk_tokens", 120),
        ("MEDGRAPH_INGEST_BATCH_DOCUMENTS", "5", "ingest", "batch_documents", 5),
        ("MEDGRAPH_CHUNK_TOPIC_THRESHOLD", "0.4", "ingest", "topic_threshold", 0.4),
        ("MEDGRAPH_CHUNK_TOPIC_SIGNAL", "embedding", "ingest", "topic_signal", "embedding"),
        ("MEDGRAPH_REFERENCE_LINK_THRESHOLD", "0.8", "ingest", "reference_threshold", 0.8),
        ("MEDGRAPH_TAG_TOP_FRACTION", "0.5", "tags", "top_fraction", 0.5),
        ("MEDGRAPH_TAG_MAX_LAYERS", "3", "tags", "max_layers", 3),
        ("MEDGRAPH_U_BEAM", "7", "retrieval", "beam", 7),
        ("MEDGRAPH_U_ENTITIES", "20", "retrieval", "entities", 20),
        ("MEDGRAPH_U_FALLBACK_THRESHOLD", "0.3", "retrieval", "fallback_threshold", 0.3),
        ("MEDGRAPH_U_CONCEPT_EVIDENCE", "0", "retrieval", "concept_evidence", 0),
        ("MEDGRAPH_MMR_PENALTY", "0", "ranking", "mmr_penalty", 0.0),
        ("MEDGRAPH_RERANK_DEPTH", "10", "ranking", "rerank_depth", 10),
        ("MEDGRAPH_API_KEYS", json.dumps([KEY]), "api", "keys", [ApiKey.model_validate(KEY)]),
        ("MEDGRAPH_API_MAX_REQUEST_MB", "5", "api", "max_request_mb", 5.0),
        ("MEDGRAPH_API_ANSWERS_KEPT", "9", "api", "answers_kept", 9),
        ("MEDGRAPH_CYPHER_TIMEOUT_S", "2", "cypher", "timeout_s", 2.0),
        ("MEDGRAPH_CYPHER_MAX_ROWS", "10", "cypher", "max_rows", 10),
    ],
)
def test_each_variable_is_read_into_its_group(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, group: str, field: str, expected: Any
) -> None:
    assert getattr(getattr(load_settings(), group), field) != expected  # not the default already
    monkeypatch.setenv(variable, value)
    settings = load_settings()
    assert getattr(getattr(settings, group), field) == expected
    assert type(getattr(settings, group)).env_name(field) == variable


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEO4J_URI", "http://localhost:7474"),
        ("NEO4J_URI", "bolt://localhost:notaport"),
        ("NEO4J_DATABASE", "no spaces allowed"),
        ("MEDGRAPH_CHUNK_TOKENS", "many"),
        ("MEDGRAPH_CHUNK_TOKENS", "4"),
        ("MEDGRAPH_EMBEDDING_DEVICE", "tpu"),
        ("MEDGRAPH_LLM_BASE_URL", "ftp://llm.local"),
        ("MEDGRAPH_INGEST_BATCH_DOCUMENTS", "none"),
        ("MEDGRAPH_CHUNK_TOPIC_THRESHOLD", "2"),
        ("MEDGRAPH_CHUNK_TOPIC_SIGNAL", "sentences"),
        ("MEDGRAPH_NEO4J_START_TIMEOUT_S", "0"),
        ("MEDGRAPH_U_BEAM", "0"),
        ("MEDGRAPH_TAG_TOP_FRACTION", "0"),
        ("MEDGRAPH_API_KEYS", json.dumps([{"name": "clinic", "sha256": "not-a-hash", "scopes": ["read"]}])),
        ("MEDGRAPH_API_KEYS", json.dumps([{**KEY, "scopes": ["write"]}])),
        ("MEDGRAPH_API_KEYS", "clinic:token"),  # not JSON at all
        ("MEDGRAPH_CYPHER_MAX_ROWS", "0"),
    ],
)
def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert variable in str(info.value)


def test_a_missing_field_inside_a_json_setting_is_named_once_with_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDGRAPH_API_KEYS", json.dumps([KEY, {"name": "x"}]))
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert str(info.value) == (
        "invalid configuration: MEDGRAPH_API_KEYS[1].sha256: Field required; "
        "MEDGRAPH_API_KEYS[1].scopes: Field required"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEDGRAPH_INGEST_BATCH_CHARS", "999"),
        ("MEDGRAPH_MAX_DOCUMENT_CHARS", "10"),
        ("MEDGRAPH_INGEST_STAGING_STALE_S", "-1"),
        ("MEDGRAPH_CYPHER_MAX_BYTES", "12"),
        ("MEDGRAPH_API_MAX_HEADER_KB", "0"),
        ("MEDGRAPH_API_MAX_URL_KB", "2048"),
    ],
)
def test_limits_out_of_range_name_their_setting(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


def test_renamed_fields_are_read_only_from_their_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field whose variable is not its group's prefix plus its name is not set by its bare name."""
    monkeypatch.setenv("BATCH_DOCUMENTS", "5")
    monkeypatch.setenv("TOPIC_THRESHOLD", "0.4")
    monkeypatch.setenv("START_TIMEOUT_S", "30")
    settings = load_settings()
    assert settings.ingest.batch_documents == IngestSettings.model_fields["batch_documents"].default == 64
    assert settings.ingest.topic_threshold is IngestSettings.model_fields["topic_threshold"].default is None
    assert settings.local_neo4j.start_timeout_s == LocalNeo4jSettings.model_fields["start_timeout_s"].default == 180


def test_short_password_is_named_but_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cr!t")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "NEO4J_PASSWORD" in str(info.value)
    assert "s3cr!t" not in str(info.value)


def test_llm_endpoint_needs_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDGRAPH_LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    with pytest.raises(ConfigurationError, match="MEDGRAPH_LLM_ANSWER_MODEL"):
        load_settings()
    monkeypatch.setenv("MEDGRAPH_LLM_ANSWER_MODEL", "llama3")
    settings = load_settings()
    assert not settings.llm.offline


def test_dotenv_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "NEO4J_URI=neo4j+s://example.databases.neo4j.io\nNEO4J_DATABASE=clinic\nMEDGRAPH_CHUNK_TOKENS=99\n"
        "MEDGRAPH_U_BEAM=6\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MEDGRAPH_CHUNK_TOKENS", "120")
    settings = load_settings()
    assert settings.neo4j.uri == "neo4j+s://example.databases.neo4j.io"
    assert (settings.neo4j.host, settings.neo4j.port) == ("example.databases.neo4j.io", 7687)
    assert settings.neo4j.database == "clinic"
    assert settings.ingest.chunk_tokens == 120
    assert settings.retrieval.beam == 6
    assert settings.llm.offline
    assert load_settings(env_file=None).ingest.chunk_tokens == 120
    assert load_settings(env_file=None).neo4j.database == "neo4j"


def test_given_values_win_and_replace_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDGRAPH_U_BEAM", "7")
    settings = load_settings(env_file=None, retrieval={"beam": 3}, ingest={"batch_documents": 5})
    assert (settings.retrieval.beam, settings.ingest.batch_documents) == (3, 5)
    changed = settings.replace(retrieval={"entities": 9})
    assert (changed.retrieval.beam, changed.retrieval.entities) == (3, 9)
    assert settings.retrieval.entities == 60  # settings are frozen: replace makes a copy
    with pytest.raises(ConfigurationError, match="MEDGRAPH_U_ENTITIES"):
        settings.replace(retrieval={"entities": 0})
    with pytest.raises(ConfigurationError, match="retrievl"):
        settings.replace(retrievl={"beam": 1})
    with pytest.raises(ConfigurationError, match="retrievl"):
        load_settings(env_file=None, retrievl={"beam": 1})
    assert isinstance(settings, Settings)


def test_cli_fails_at_start_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "localhost:7687")
    result = CliRunner().invoke(app, ["db", "status"])
    assert result.exit_code == 2
    assert "NEO4J_URI" in result.output
