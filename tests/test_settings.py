from pathlib import Path

import pytest
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


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
    ],
)
def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert variable in str(info.value)


def test_short_password_is_named_but_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cr!t")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "NEO4J_PASSWORD" in str(info.value)
    assert "s3cr!t" not in str(info.value)


def test_llm_endpoint_needs_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDGRAPH_LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    with pytest.raises(SettingsError, match="MEDGRAPH_LLM_ANSWER_MODEL"):
        load_settings()
    monkeypatch.setenv("MEDGRAPH_LLM_ANSWER_MODEL", "llama3")
    settings = load_settings()
    assert not settings.offline


def test_dotenv_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "NEO4J_URI=neo4j+s://example.databases.neo4j.io\nNEO4J_DATABASE=clinic\nMEDGRAPH_CHUNK_TOKENS=99\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MEDGRAPH_CHUNK_TOKENS", "120")
    settings = load_settings()
    assert settings.neo4j_uri == "neo4j+s://example.databases.neo4j.io"
    assert settings.neo4j_database == "clinic"
    assert settings.chunk_tokens == 120
    assert settings.offline


def test_cli_fails_at_start_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "localhost:7687")
    result = CliRunner().invoke(app, ["db", "status"])
    assert result.exit_code == 2
    assert "NEO4J_URI" in result.output
