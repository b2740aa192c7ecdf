"""The vocabulary and concept commands end to end, against a real Neo4j."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.settings import Settings
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, neo4j_settings: Settings, driver, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j.password.get_secret_value())
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_settings.neo4j.database)
    return CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_umls_load_is_idempotent_and_reported(runner: CliRunner, driver) -> None:
    first = runner.invoke(app, ["vocab", "load", "umls", str(FIXTURES / "umls" / "META")])
    assert first.exit_code == 0, first.output
    assert re.search(r"source UMLS 2024AA", _flat(first.output))
    counts = driver.execute_query("MATCH (c:Concept) WITH count(c) AS n MATCH ()-[r]->() RETURN n, count(r) AS r")
    again = runner.invoke(app, ["vocab", "load", "umls", str(FIXTURES / "umls" / "META")])
    assert again.exit_code == 0
    assert (
        driver.execute_query("MATCH (c:Concept) WITH count(c) AS n MATCH ()-[r]->() RETURN n, count(r) AS r").records
        == counts.records
    )
    status = runner.invoke(app, ["vocab", "status"])
    assert status.exit_code == 0
    row = next(line for line in status.output.splitlines() if "UMLS" in line)
    assert "2024AA" in row
    assert "earlier release" not in status.output


def test_status_names_a_vocabulary_loaded_without_name_keys(runner: CliRunner, driver) -> None:
    runner.invoke(app, ["vocab", "load", "umls", str(FIXTURES / "umls" / "META")])
    driver.execute_query("MATCH (s:VocabularySource) REMOVE s.key_format")
    status = _flat(runner.invoke(app, ["vocab", "status"]).output)
    assert "loaded by an earlier release" in status and "UMLS; load them again" in status


def test_concept_search_and_show(runner: CliRunner) -> None:
    runner.invoke(app, ["vocab", "load", "umls", str(FIXTURES / "umls" / "META")])
    found = runner.invoke(app, ["concept", "search", "heart attacks", "--json"])
    assert found.exit_code == 0, found.output
    best = json.loads(found.output)[0]
    assert (best["concept_id"], best["method"], best["name"]) == ("C0027051", "exact", "Myocardial Infarction")
    shown = runner.invoke(app, ["concept", "show", "C0027051"])
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.output)
    assert "Myocardial Infarction C0027051" in text
    assert "parents: Heart Diseases (C0018799)" in text
    assert "SNOMEDCT_US:22298006" in text
    missing = runner.invoke(app, ["concept", "show", "C9999999"])
    assert missing.exit_code == 1 and "no concept C9999999" in missing.output


def test_missing_release_folder_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["vocab", "load", "umls", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "MRCONSO.RRF" in result.output


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_VOCAB_DIR.is_dir(), reason="the shared open vocabulary data is not present")
def test_open_vocabulary_finds_myocardial_infarction_for_heart_attack(runner: CliRunner) -> None:
    loaded = runner.invoke(app, ["vocab", "load", "open"])
    assert loaded.exit_code == 0, loaded.output
    found = runner.invoke(app, ["concept", "search", "heart attack", "--k", "3", "--json"])
    best = json.loads(found.output)[0]
    assert best["cui"] == "C0027051" and best["name"].lower() == "myocardial infarction"
    status = _flat(runner.invoke(app, ["vocab", "status"]).output)
    for source in ("hpo", "doid", "mondo", "mesh", "icd10cm"):
        assert source in status
