"""The picture of an answer's evidence: the graph read from Neo4j, the HTML page drawn by a headless
Chromium, and `medgraph query --graph`."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.retrieval.evidence import Answer
from medgraphrag.retrieval.evidence_graph import QUESTION_ID, EvidenceGraph, evidence_graph, node_id
from medgraphrag.service import MedGraph
from medgraphrag.web.evidence_page import TIER_COLOURS
from tests import test_cli

QUESTION = "Which antibiotic treats pneumonia with cough and fever?"
TEXTBOOK = (
    "# Community-acquired pneumonia\n\nPneumonia presents with cough and fever. "
    "Amoxicillin is the first-line antibiotic for community-acquired pneumonia.\n"
)
PNEUMONIA = "C0032285"

cli_env = test_cli.cli_env  # the fixture that points the CLI at the test Neo4j

# Appended to a copy of the page: click a chunk, drag it, zoom; the outcome lands in the DOM.
INTERACTIONS = """<script>
(() => {
  const svg = document.getElementById("evidence-graph");
  const node = svg.querySelector('.node[data-kind="chunk"]');
  const edge = svg.querySelector(`.edge[data-target="${node.dataset.nodeId}"]`);
  const box = node.getBoundingClientRect(), x = box.x + box.width / 2, y = box.y + box.height / 2;
  const at = (type, dx, dy) => node.dispatchEvent(
    new PointerEvent(type, {bubbles: true, clientX: x + dx, clientY: y + dy, pointerId: 1}));
  const before = [node.getAttribute("transform"), edge.getAttribute("d")];
  at("pointerdown", 0, 0); at("pointerup", 0, 0);
  const details = document.getElementById("details").textContent;
  const dimmed = svg.querySelectorAll(".node.dim").length;
  at("pointerdown", 0, 0); at("pointermove", 40, 30); at("pointerup", 40, 30);
  const after = [node.getAttribute("transform"), edge.getAttribute("d")];
  svg.dispatchEvent(new WheelEvent("wheel", {bubbles: true, cancelable: true, deltaY: -200, clientX: x, clientY: y}));
  document.body.dataset.probe = JSON.stringify({id: node.dataset.nodeId, before, after, details, dimmed,
    zoom: document.getElementById("viewport").getAttribute("transform")});
})();
</script></body>"""


@pytest.fixture
def answer(
    service: MedGraph, clinical_vocabulary: None, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Answer:
    """An answer over the corpus as user notes and a textbook page on the same concepts as reference."""
    assert service.ingest([corpus], tier="user").errors == []
    textbook = tmp_path_factory.mktemp("textbook") / "pneumonia.md"
    textbook.write_text(TEXTBOOK, encoding="utf-8")
    assert service.ingest([textbook], tier="reference").errors == []
    return service.query(QUESTION, k=3)


def _chromium() -> str:
    found = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if found is None:
        pytest.skip("no chromium binary found (make test installs Debian's chromium package)")
    return found


def _chromium_run(page: Path, profile: Path, *flags: str) -> str:
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


class _SvgElements(HTMLParser):
    """The attributes of every element inside the SVG `#evidence-graph`, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.svg: dict[str, str | None] = {}
        self.elements: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth:
            self.elements.append({"tag": tag, **values})
        if tag == "svg" and (self.depth or values.get("id") == "evidence-graph"):
            self.svg = self.svg or values
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1


def test_the_evidence_graph_links_question_chunks_entities_of_both_tiers_and_concepts(
    service: MedGraph, answer: Answer
) -> None:
    graph = service.evidence_graph(answer)
    nodes = {n.id: n for n in graph.nodes}
    assert nodes[QUESTION_ID].kind == "question" and nodes[QUESTION_ID].label == QUESTION
    edges = {(e.source, e.target, e.type) for e in graph.edges}
    assert all(e.source in nodes and e.target in nodes for e in graph.edges)

    chunks = [c for c in answer.citations if c.kind == "chunk"]
    assert chunks and {c.tier for c in chunks} == {"user", "reference"}
    for citation in chunks:
        node = nodes[node_id("chunk", str(citation.chunk_id))]
        assert (node.kind, node.tier, node.details["citation"]) == ("chunk", citation.tier, citation.n)
        assert node.details["quote"] == citation.quote
        assert (QUESTION_ID, node.id, "CITES") in edges

    entities = [n for n in graph.nodes if n.kind == "entity"]
    traced = {e.entity_id for e in answer.trace.entities}
    assert {n.tier for n in entities} == {"user", "reference"}
    for node in entities:
        assert node.details["entity_id"] in traced
        assert node.details["via"] == "question" or any(
            (s, node.id, "MENTIONS") in edges for s in nodes if nodes[s].kind == "chunk"
        )

    # The note's pneumonia is supported by the textbook's, and both stand for the concept the question names.
    user, reference = (
        node_id("entity", e.entity_id)
        for tier in ("user", "reference")
        for e in answer.trace.entities
        if e.concept_id == PNEUMONIA and e.tier == tier
    )
    concept = node_id("concept", PNEUMONIA)
    assert (user, reference, "REFERENCE_OF") in edges
    assert {
        (user, concept, "DEFINITION_OF"),
        (reference, concept, "DEFINITION_OF"),
        (QUESTION_ID, concept, "NAMES"),
    } <= edges
    assert nodes[concept].kind == "concept" and nodes[concept].tier == "vocabulary"
    assert {node_id("concept", c) for c in answer.trace.question_concepts} <= set(nodes)


def test_the_picture_is_capped_heaviest_entities_first(service: MedGraph, answer: Answer) -> None:
    full = service.evidence_graph(answer)
    fixed = [n for n in full.nodes if n.kind != "entity"]
    entities = [n for n in full.nodes if n.kind == "entity"]
    capped = evidence_graph(service.store.evidence, answer, max_nodes=len(fixed) + 2)
    kept = [n for n in capped.nodes if n.kind == "entity"]
    assert 0 < len(kept) < len(entities) and len(capped.nodes) <= len(fixed) + 2
    assert capped.left_out == len(entities) - len(kept)
    assert {n.id for n in capped.nodes if n.kind in ("question", "chunk")} == {
        n.id for n in full.nodes if n.kind in ("question", "chunk")
    }
    assert all(e.source in {n.id for n in capped.nodes} for e in capped.edges)


def test_the_page_is_offline_and_chromium_draws_every_node(service: MedGraph, answer: Answer, tmp_path: Path) -> None:
    graph: EvidenceGraph = service.evidence_graph(answer)
    page = service.evidence_graph_html(answer)
    assert page == service.evidence_graph_html(answer)  # the layout is deterministic
    # Nothing is fetched: no src or href attribute, no CSS import or url().
    assert not re.search(r"\b(src|href)\s*=|@import|url\(", page)
    path = tmp_path / "evidence.html"
    path.write_text(page, encoding="utf-8")

    dom = _SvgElements()
    dom.feed(_chromium_run(path, tmp_path / "profile", "--dump-dom"))
    assert dom.svg.get("data-interactive") == "true"  # the page's script ran to its end
    drawn = {e["data-node-id"]: e for e in dom.elements if e.get("data-node-id")}
    assert set(drawn) == {n.id for n in graph.nodes}
    for node in graph.nodes:
        assert drawn[node.id]["data-kind"] == node.kind
        match = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", str(drawn[node.id]["transform"]))
        assert match and float(match[1]) > 0 and float(match[2]) > 0
    assert len({e["transform"] for e in drawn.values()}) == len(graph.nodes)  # no two nodes overlap
    assert sum(e["tag"] == "path" and "edge" in str(e.get("class")) for e in dom.elements) == len(graph.edges)

    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", INTERACTIONS), encoding="utf-8")
    found = re.search(r'data-probe="([^"]*)"', _chromium_run(probe, tmp_path / "profile", "--dump-dom"))
    assert found, "the interactions did not run"
    clicked = json.loads(html.unescape(found[1]))
    chunk = next(n for n in graph.nodes if n.id == clicked["id"])
    assert chunk.details["quote"][:40] in clicked["details"]  # a click shows the node's details
    assert clicked["dimmed"] > 0  # ... and dims the nodes not linked to it
    assert all(a != b for a, b in zip(clicked["before"], clicked["after"]))  # dragged, its edge follows
    assert "scale(" in clicked["zoom"]

    screenshot = tmp_path / "evidence.png"
    _chromium_run(path, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1200,800")
    with Image.open(screenshot) as image:
        assert image.size == (1200, 800)
        pixels = image.convert("RGB").getcolors(maxcolors=1200 * 800)
    assert pixels is not None and len(pixels) > 50
    counts = {colour: n for n, colour in pixels}
    for tier in ("user", "reference", "vocabulary"):
        colour = tuple(int(TIER_COLOURS[tier][i : i + 2], 16) for i in (1, 3, 5))
        assert counts.get(colour, 0) > 50, f"no {tier} node drawn"


def test_query_graph_option_writes_the_picture(cli_env: None, corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(corpus), "--tier", "user"]).exit_code == 0
    out = tmp_path / "pictures" / "evidence.html"
    out.parent.mkdir()
    result = runner.invoke(app, ["query", QUESTION, "--k", "2", "--graph", str(out)])
    assert result.exit_code == 0, result.output
    assert f"evidence graph written to {out.resolve()}" in " ".join(result.output.split())
    page = out.read_text(encoding="utf-8")
    assert 'id="evidence-graph"' in page and 'data-node-id="question"' in page
    assert "[1]" in result.output  # the answer is printed as before

    as_json = runner.invoke(app, ["query", QUESTION, "--k", "2", "--json", "--graph", str(out)])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["question"] == QUESTION  # the note goes to stderr
    assert "evidence graph written to" in as_json.stderr
