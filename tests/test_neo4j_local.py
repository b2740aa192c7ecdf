"""The embedded server of neo4j-local: readiness, authentication, clean stop, recovery, db commands."""

import os
import signal
from pathlib import Path

import httpx
import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.processes import free_port, stop_process
from medgraphrag.graph.server import LocalNeo4j
from tests.conftest import REPO, TEST_PASSWORD

pytestmark = pytest.mark.slow


def test_auth_clean_stop_and_recovery_after_kill(tmp_path: Path) -> None:
    local = LocalNeo4j(REPO / "neo4j-local")
    port = free_port()
    uri = f"bolt://127.0.0.1:{port}"
    options = dict(
        home=tmp_path / "home",
        port=port,
        password=TEST_PASSWORD,
        heap="512m",
        pagecache_mb=64,
        log_path=tmp_path / "neo4j.log",
    )

    process = local.start(**options)
    with GraphDatabase.driver(uri, auth=("neo4j", "wrong-password")) as wrong:
        with pytest.raises(AuthError):
            wrong.verify_connectivity()
    with GraphDatabase.driver(uri, auth=("neo4j", TEST_PASSWORD)) as driver:
        driver.execute_query("CREATE (:Document {doc_id: 'survives-kill'})")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    process = local.start(**options)
    with GraphDatabase.driver(uri, auth=("neo4j", TEST_PASSWORD)) as driver:
        records, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.doc_id AS id")
    assert [r["id"] for r in records] == ["survives-kill"]
    assert stop_process(process.pid)
    # Neo4j's own signal handling exits 0 after a clean stop (a bare JVM would report 128 + 15).
    assert process.wait(timeout=60) in (0, 128 + signal.SIGTERM)
    log = (tmp_path / "neo4j.log").read_text(encoding="utf-8")
    assert log.count("READY bolt://127.0.0.1:") == 2
    assert log.rstrip().endswith("STOPPED")


def test_db_up_status_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NEO4J_PASSWORD", TEST_PASSWORD)
    monkeypatch.setenv("MEDGRAPH_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MEDGRAPH_NEO4J_LOCAL_HEAP", "512m")
    monkeypatch.setenv("MEDGRAPH_NEO4J_LOCAL_PAGECACHE_MB", "64")
    http_port = free_port()
    monkeypatch.setenv("MEDGRAPH_NEO4J_LOCAL_HTTP_PORT", str(http_port))
    runner = CliRunner()
    try:
        up = runner.invoke(app, ["db", "up"])
        assert up.exit_code == 0, up.output
        assert "via local" in up.output and "Neo4j 5.26" in up.output
        assert (tmp_path / "state" / "neo4j" / "data").is_dir()

        again = runner.invoke(app, ["db", "up"])
        assert again.exit_code == 0 and "starting" not in again.output

        status = runner.invoke(app, ["db", "status"])
        assert status.exit_code == 0
        assert "via local" in status.output and "Document" in status.output
        # Neo4j Browser, served by neo4j-local's HTTP connector, behind the same authentication
        browser = f"http://127.0.0.1:{http_port}/browser/"
        assert f"Neo4j Browser: {browser}" in status.output
        page = httpx.get(browser, timeout=30)
        assert page.status_code == 200 and "Neo4j Browser" in page.text
        statement = {"statements": [{"statement": "RETURN 1 AS one"}]}
        commit = f"http://127.0.0.1:{http_port}/db/neo4j/tx/commit"
        assert httpx.post(commit, json=statement, auth=("neo4j", "wrong-password")).status_code == 401
        answer = httpx.post(commit, json=statement, auth=("neo4j", TEST_PASSWORD)).json()
        assert answer["results"][0]["data"][0]["row"] == [1]
    finally:
        down = runner.invoke(app, ["db", "down"])
    assert down.exit_code == 0 and "stopped neo4j-local" in down.output
    after = runner.invoke(app, ["db", "status"])
    assert after.exit_code == 1 and "down" in after.output
