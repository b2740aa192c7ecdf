"""What the command line prints: no control character from data reaches the terminal raw (an
escape sequence in a title, a source, a concept name or a Cypher value is written out as
`\\x1b`), and an unreachable Neo4j, at start or after connecting, is a message and exit status 3,
never a traceback."""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.cli.text import VisibleLogHandler, json_text, shown, visible
from medgraphrag.core.settings import Settings
from medgraphrag.graph.server import free_port, scratch_local_server
from medgraphrag.graph.vocab.records import ConceptRecord, SkipCounter
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph
from tests.conftest import make_settings, neo4j_env

RED = "\x1b[31m"
RETITLE = "\x1b]0;title\x07"
CSI = "\x9b"  # C1: starts a control sequence in some terminals, as ESC [ does
RAW = ("\x1b", "\x07", CSI)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, neo4j_settings: Settings, driver: object, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in neo4j_env(neo4j_settings).items():
        monkeypatch.setenv(name, value)


def _assert_clean(output: str) -> None:
    raw = [hex(ord(c)) for c in RAW if c in output]
    assert not raw, f"raw control characters {raw} in:\n{output!r}"


def test_visible_writes_out_control_characters() -> None:
    assert visible(f"a{RED}b{RETITLE}c") == "a\\x1b[31mb\\x1b]0;title\\x07c"
    assert visible("tab\tnew\nline") == "tab\tnew\nline"
    assert visible(f"\r\x00\x7f{CSI}\x85é糖") == "\\x0d\\x00\\x7f\\x9b\\x85é糖"
    assert shown("[bold]x\x1b[1m") == "\\[bold]x\\x1b[1m"
    text = json.dumps({"v": f"{RED}{CSI}\x7f"}, ensure_ascii=False)
    assert json.loads(json_text(text)) == {"v": f"{RED}{CSI}\x7f"}
    _assert_clean(json_text(text))
    stream = io.StringIO()
    VisibleLogHandler(stream).emit(
        logging.LogRecord("medgraphrag.ingest", logging.WARNING, __file__, 1, "%s not ingested", (f"a{RED}.md",), None)
    )
    assert stream.getvalue() == "a\\x1b[31m.md not ingested\n"


def test_data_with_escape_sequences_prints_no_raw_control_character(
    cli_env: None, service: MedGraph, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / f"evil{RED}note.md").write_text(
        f"# Pneumonia {RED}red{RETITLE} title{CSI}\n\n"
        f"Pneumonia was treated with amoxicillin {RED}now red{RETITLE}. Fever resolved{CSI}.\n",
        encoding="utf-8",
    )
    report = service.ingest([notes], tier="user")
    assert report.documents_written == 1, report.errors
    service.store.vocabulary.write(
        versions={"test": "1"},
        concepts=[ConceptRecord("C9", f"Evil{RED} concept{RETITLE}", cui="C9", sources=["test"])],
        relations=[],
        skipped=SkipCounter(),
    )
    [document] = service.documents()
    assert RED in document.title and RED in document.source  # the data does hold them

    runner = CliRunner()
    commands = [
        ["documents", "list"],
        ["documents", "show", document.doc_id],
        ["query", "How was the pneumonia treated?", "--k", "1"],
        ["query", "How was the pneumonia treated?", "--k", "1", "--json"],
        ["cypher", "query", "MATCH (d:Document) RETURN d.title AS title, d.source AS source, [d.title] AS titles"],
        ["cypher", "query", "MATCH (d:Document) RETURN d.title AS title", "--json"],
        ["cypher", "query", f"RETURN 1 AS `{RED}`"],
        ["concept", "show", "C9"],
        ["documents", "show", f"doc_{RED}"],
    ]
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == (1 if command[-1] == f"doc_{RED}" else 0), (command, result.output)
        _assert_clean(result.output)
        if "--json" in command:
            json.loads(result.output)
        else:
            assert "\\x1b" in result.output, (command, result.output)


def test_an_unreachable_neo4j_at_start_is_exit_3_with_a_remedy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{free_port()}")
    runner = CliRunner()
    for command in (
        ["documents", "list"],
        ["documents", "show", "doc_x"],
        ["query", "How is pneumonia treated?"],
        ["cypher", "query", "RETURN 1"],
        ["tags", "rebuild"],
        ["ingest", str(tmp_path)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 3, (command, result.output)
        assert "medgraph db up" in result.output and "Traceback" not in result.output, (command, result.output)


def test_a_database_neo4j_does_not_have_is_exit_3_naming_the_setting(
    neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {**neo4j_env(neo4j_settings), "NEO4J_DATABASE": "nosuchdb"}.items():
        monkeypatch.setenv(name, value)
    for command in (["documents", "list"], ["cypher", "query", "RETURN 1"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 3, (command, result.output, result.exception)
        assert "no database 'nosuchdb'" in result.output and "NEO4J_DATABASE" in result.output, result.output


@pytest.fixture(scope="module")
def stopped(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[MedGraph]]:
    """Services that connected to a Neo4j that has stopped since."""
    password = "medgraph-scratch-pw"
    with scratch_local_server(password) as uri:
        settings = make_settings(
            neo4j={"uri": uri, "password": password}, paths={"data_dir": tmp_path_factory.mktemp("stopped")}
        )
        services = [MedGraph(settings, embedder=embedder) for _ in range(8)]
        for service in services:
            assert service.health().neo4j  # connected, schema applied
    yield services
    for service in services:
        service.close()


@pytest.mark.slow
def test_neo4j_stopping_after_connect_is_exit_3_with_a_remedy(
    stopped: list[MedGraph], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = iter(stopped)
    # By module: the package's `app` is the command group, not its module.
    for module in (
        importlib.import_module("medgraphrag.cli.app"),
        importlib.import_module("medgraphrag.cli.documents"),
    ):
        monkeypatch.setattr(module, "service", lambda: next(services))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in (["documents", "list"], ["documents", "show", "doc_x"], ["query", "How is pneumonia treated?"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 3, (command, result.output, result.exception)
        assert "medgraph db" in result.output and "Traceback" not in result.output, (command, result.output)


@pytest.mark.slow
def test_neo4j_stopping_after_connect_is_exit_3_for_cypher(
    stopped: list[MedGraph], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = iter(stopped[-2:])
    monkeypatch.setattr(importlib.import_module("medgraphrag.cli.cypher"), "service", lambda: next(services))
    monkeypatch.chdir(tmp_path)
    for command in (["cypher", "query", "RETURN 1"], ["cypher", "run", "graph-statistics"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 3, (command, result.output, result.exception)
        assert "medgraph db" in result.output
