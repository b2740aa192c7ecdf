import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.settings import Settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, neo4j_settings: Settings, driver, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j.uri)
    monkeypatch.setenv("NEO4J_USERNAME", neo4j_settings.neo4j.username)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j.password.get_secret_value())
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_settings.neo4j.database)


def test_ingest_then_query_json(cli_env: None, corpus: Path) -> None:
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(corpus / "notes"), "--tier", "user"])
    assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(app, ["query", "What did the ECG show?", "--json", "--k", "2"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["question"] == "What did the ECG show?"
    assert answer["citations"][0]["source"].endswith("mi.md")
    assert any("ST elevation" in claim["text"] for claim in answer["claims"])


def test_query_prints_answer_and_numbered_citations(cli_env: None, corpus: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["ingest", str(corpus), "--tier", "reference"])
    result = runner.invoke(app, ["query", "first-line therapy for type 2 diabetes", "--k", "1"])
    assert result.exit_code == 0, result.output
    assert "Metformin is first-line drug therapy for type 2 diabetes. [1]" in " ".join(result.output.split())
    assert "[1] Metformin" in result.output


def test_bad_tier_is_an_error(cli_env: None, corpus: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--tier", "vocabulary"])
    assert result.exit_code == 2  # an invalid argument (InvalidRequest)
    assert "tier must be one of user, reference" in result.output


def test_documents_show_gives_each_mention_status(cli_env: None, clinical_vocabulary: None, tmp_path: Path) -> None:
    note = tmp_path / "family-note.txt"
    note.write_text(
        "Family history of myocardial infarction in his father. Return if chest pain develops. "
        "No fever. Productive cough since Monday.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(note), "--tier", "user"])
    assert ingested.exit_code == 0, ingested.output
    shown = runner.invoke(app, ["documents", "show", str(note)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    rows = {line.split()[0]: " ".join(line.split()) for line in shown.output.splitlines() if line.strip()}
    assert "1 (1 family)" in rows["Myocardial"]
    assert "1 (1 uncertain) (1 conditional)" in rows["Chest"]
    assert "1 (1 negated)" in rows["Fever"]
    assert "1 C0010200" in rows["Cough"] and "(" not in rows["Cough"]  # affirmed: no status given
    # The evidence of an answer says which of its mentions are not the patient's present findings.
    answered = runner.invoke(app, ["query", "Does he have chest pain or fever?", "--k", "1", "--json"])
    assert answered.exit_code == 0, answered.output
    [citation] = [c for c in json.loads(answered.output)["citations"] if c["kind"] == "chunk"]
    statuses = {(m["surface"], m["status"]) for m in citation["qualified"]}
    assert {("chest pain", "conditional"), ("fever", "negated"), ("myocardial infarction", "family")} <= statuses
    printed = runner.invoke(app, ["query", "Does he have chest pain or fever?", "--k", "1"], env={"COLUMNS": "200"})
    assert "not the patient's present findings:" in printed.output and "fever (negated)" in printed.output
