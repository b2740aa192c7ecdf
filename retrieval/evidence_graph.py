"""A picture of the evidence behind an answer: the question, the cited chunks, the entities they
mention that retrieval found, the concepts those stand for, and the tier links among them; drawn
as a self-contained interactive HTML page (inline SVG and script, no network)."""

from __future__ import annotations

import html
import json
from typing import Any, Literal

from neo4j import Driver
from pydantic import BaseModel, Field

from medgraphrag import cypher
from medgraphrag.retrieval.evidence import Answer, Citation, TraceEntity

MAX_NODES = 80
QUESTION_ID = "question"

NodeKind = Literal["question", "chunk", "entity", "concept"]


class GraphNode(BaseModel):
    """A node of the picture; `id` is `<kind>:<graph id>` (the question's is `question`)."""

    id: str
    kind: NodeKind
    label: str
    tier: str | None = Field(None, description="user, reference or vocabulary; None for the question")
    details: dict[str, Any] = {}


class GraphEdge(BaseModel):
    """A link of the picture: a graph relationship (MENTIONS, REFERENCE_OF, SAME_AS, RELATED,
    DEFINITION_OF), or the question's NAMES (its concepts) and CITES (its evidence)."""

    source: str
    target: str
    type: str
    details: dict[str, Any] = {}


class EvidenceGraph(BaseModel):
    """The evidence of one answer as a graph, with the answer and its numbered citations."""

    question: str
    answer: str
    citations: list[Citation]
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    left_out: int = Field(0, description="entities left out to keep the picture within its node cap")


def node_id(kind: NodeKind, key: str) -> str:
    """The picture's id of a chunk, entity or concept (`chunk:<chunk_id>`, ...)."""
    return f"{kind}:{key}"


def citation_node_id(citation: Citation) -> str:
    """The picture's id of the chunk or concept a citation names."""
    if citation.kind == "chunk":
        return node_id("chunk", str(citation.chunk_id))
    return node_id("concept", str(citation.concept_id))


def evidence_graph(driver: Driver, database: str, answer: Answer, *, max_nodes: int = MAX_NODES) -> EvidenceGraph:
    """The evidence graph of an answer: the question, its cited chunks and concepts, the entities of
    the trace that the cited chunks mention (and the question's own), their concepts and the links
    among them, read from Neo4j. Beyond `max_nodes`, the lightest entities are left out."""
    chunks = [c for c in answer.citations if c.kind == "chunk" and c.chunk_id]
    found = {e.entity_id: e for e in answer.trace.entities}
    records, _, _ = driver.execute_query(
        cypher.load("evidence_links"), chunk_ids=[c.chunk_id for c in chunks], entity_ids=list(found),
        database_=database, routing_="r",
    )
    links = [(r["source"], r["target"], r["type"], _present(r["details"])) for r in records]
    mentioned = {target for _, target, kind, _ in links if kind == "MENTIONS"}
    definitions: dict[str, list[str]] = {}
    for source, target, kind, _ in links:
        if kind == "DEFINITION_OF":
            definitions.setdefault(source, []).append(target)

    concept_ids = list(dict.fromkeys([*answer.trace.question_concepts,
                                      *(c.concept_id for c in answer.citations if c.kind == "concept" and c.concept_id)]))
    candidates = sorted((e for e in found.values() if e.entity_id in mentioned or e.via == "question"),
                        key=lambda e: (e.via != "question", -e.weight, e.entity_id))
    budget = max_nodes - 1 - len(chunks) - len(concept_ids)
    kept: list[TraceEntity] = []
    for entity in candidates:
        new = [c for c in definitions.get(entity.entity_id, []) if c not in concept_ids]
        if 1 + len(new) <= budget:
            kept.append(entity)
            concept_ids += new
            budget -= 1 + len(new)

    records, _, _ = driver.execute_query(cypher.load("evidence_concepts"), concept_ids=concept_ids,
                                         database_=database, routing_="r")
    concepts = {r["concept"]["concept_id"]: r["concept"] for r in records}
    cited = {c.concept_id: c.n for c in answer.citations if c.kind == "concept"}

    nodes = [GraphNode(id=QUESTION_ID, kind="question", label=answer.question,
                       details=_present({"question": answer.question, "answer": answer.text}))]
    nodes += [_chunk_node(c) for c in chunks]
    nodes += [_entity_node(e, found) for e in kept]
    nodes += [_concept_node(concepts[c], cited.get(c)) for c in concept_ids if c in concepts]
    ids = {n.id for n in nodes}

    edges = [GraphEdge(source=QUESTION_ID, target=node_id("concept", c), type="NAMES")
             for c in answer.trace.question_concepts]
    edges += [GraphEdge(source=QUESTION_ID, target=citation_node_id(c), type="CITES", details={"n": c.n})
              for c in answer.citations]
    kinds = {"MENTIONS": ("chunk", "entity"), "DEFINITION_OF": ("entity", "concept")}
    for source, target, kind, details in links:
        source_kind, target_kind = kinds.get(kind, ("entity", "entity"))
        edges.append(GraphEdge(source=node_id(source_kind, source), target=node_id(target_kind, target), type=kind,
                               details=details))
    return EvidenceGraph(question=answer.question, answer=answer.text, citations=answer.citations, nodes=nodes,
                         edges=[e for e in edges if e.source in ids and e.target in ids],
                         left_out=len(candidates) - len(kept))


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != ""}


def _chunk_node(c: Citation) -> GraphNode:
    return GraphNode(id=citation_node_id(c), kind="chunk", label=f"[{c.n}] {c.title}", tier=c.tier,
                     details=_present({"citation": c.n, "title": c.title, "source": c.source, "start": c.start,
                                       "end": c.end, "page_start": c.page_start, "page_end": c.page_end,
                                       "score": c.score, "similarity": c.similarity, "quote": c.quote,
                                       "doc_id": c.doc_id, "chunk_id": c.chunk_id}))


def _entity_node(e: TraceEntity, found: dict[str, TraceEntity]) -> GraphNode:
    source = found.get(e.source_id or "")
    return GraphNode(id=node_id("entity", e.entity_id), kind="entity", label=e.name, tier=e.tier,
                     details=_present({"type": e.type, "via": e.via,
                                       "found_from": f"{source.name} ({source.tier})" if source else None,
                                       "concept_id": e.concept_id, "similarity": e.similarity, "weight": e.weight,
                                       "entity_id": e.entity_id, "source_id": e.source_id}))


def _concept_node(concept: dict[str, Any], cited: int | None) -> GraphNode:
    return GraphNode(id=node_id("concept", concept["concept_id"]), kind="concept", label=concept["name"],
                     tier="vocabulary",
                     details=_present({"citation": cited, "concept_id": concept["concept_id"],
                                       "definition": concept["definition"],
                                       "semantic_types": concept["semantic_types"], "sources": concept["sources"]}))


# Layered layout: one column per kind (entities one per document tier), left to right in the order
# the evidence flows from the question to the vocabulary.
COLUMN_GAP = 210.0
ROW_GAP = 46.0
MARGIN = 60.0
LABEL_ROOM = 170.0


def _column(node: GraphNode) -> int:
    if node.kind == "entity":
        return 2 if node.tier == "user" else 3
    return {"question": 0, "chunk": 1, "concept": 4}[node.kind]


def _barycentre(node: GraphNode, neighbours: set[str],
                placed: dict[str, tuple[float, float]]) -> tuple[float, float, str]:
    before = [placed[n] for n in neighbours if n in placed]
    # The nearest column decides: a reference entity sits by the user entity it supports, a concept
    # by the entities that stand for it, rather than by chunks further away.
    nearest = max((x for x, _ in before), default=None)
    heights = [y for x, y in before if x == nearest]
    mean = sum(heights) / len(heights) if heights else float("inf")
    return mean, -float(node.details.get("weight", 0.0)), node.id


def layout(graph: EvidenceGraph) -> dict[str, tuple[float, float]]:
    """Deterministic positions of the nodes: columns question, chunks (in citation order), user
    entities, reference entities, concepts; within a column, nodes are ordered by the mean height of
    their neighbours in the nearest column before it (heavier entities first on ties)."""
    columns: dict[int, list[GraphNode]] = {}
    for node in graph.nodes:
        columns.setdefault(_column(node), []).append(node)
    neighbours: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for edge in graph.edges:
        neighbours[edge.source].add(edge.target)
        neighbours[edge.target].add(edge.source)
    rows = max(len(c) for c in columns.values())
    middle = MARGIN + (rows - 1) * ROW_GAP / 2
    placed: dict[str, tuple[float, float]] = {}
    for x, column in enumerate(sorted(columns)):
        members = columns[column]
        if column > 1:
            members = sorted(members, key=lambda node: _barycentre(node, neighbours[node.id], placed))
        top = middle - (len(members) - 1) * ROW_GAP / 2
        for row, node in enumerate(members):
            placed[node.id] = (MARGIN + x * COLUMN_GAP, top + row * ROW_GAP)
    return placed


TIER_COLOURS = {"user": "#2f6fd0", "reference": "#23944a", "vocabulary": "#8e44ad"}
QUESTION_COLOUR = "#37474f"
OTHER_COLOUR = "#7f8c8d"
# (colour, stroke width, dash pattern) per link type.
EDGE_STYLES = {
    "CITES": ("#37474f", 1.2, "5 4"),
    "NAMES": ("#37474f", 1.2, "1 4"),
    "MENTIONS": ("#9aa5b1", 1.2, ""),
    "REFERENCE_OF": ("#e67e22", 2.6, ""),
    "SAME_AS": ("#e67e22", 1.8, "6 3"),
    "RELATED": ("#5d6d7e", 1.6, ""),
    "DEFINITION_OF": ("#8e44ad", 1.4, "4 3"),
}
EDGE_MEANINGS = {
    "CITES": "the answer cites this evidence",
    "NAMES": "the question names this concept",
    "MENTIONS": "the chunk mentions the entity",
    "REFERENCE_OF": "user entity supported by reference entity",
    "SAME_AS": "near-duplicate entities",
    "RELATED": "related entities",
    "DEFINITION_OF": "the entity stands for the concept",
}


def _colour(node: GraphNode) -> str:
    if node.kind == "question":
        return QUESTION_COLOUR
    return TIER_COLOURS.get(node.tier or "", OTHER_COLOUR)


def _shape(node: GraphNode, colour: str) -> tuple[str, float]:
    """The SVG of a node's mark, centred on the origin, and its half-width (where its label starts)."""
    if node.kind == "question":
        return (f'<circle r="17" fill="{colour}"/>'
                '<text class="mark" text-anchor="middle" y="5">Q</text>'), 17.0
    if node.kind == "chunk":
        return (f'<rect x="-13" y="-13" width="26" height="26" rx="4" fill="{colour}"/>'
                f'<text class="mark" text-anchor="middle" y="4">{node.details.get("citation", "")}</text>'), 13.0
    if node.kind == "concept":
        return f'<polygon points="0,-12 12,0 0,12 -12,0" fill="{colour}"/>', 12.0
    radius = 6.0 + 6.0 * min(max(float(node.details.get("weight", 0.0)), 0.0), 1.0)
    return f'<circle r="{radius:.1f}" fill="{colour}"/>', radius


def _curve(a: tuple[float, float], b: tuple[float, float]) -> str:
    """An edge's path; links within a column bow out to the left so they pass beside its nodes
    (the page's script redraws edges the same way when a node is dragged)."""
    bow = 30.0 + 0.35 * abs(b[1] - a[1]) if abs(a[0] - b[0]) < 1.0 else 0.0
    cx, cy = (a[0] + b[0]) / 2 - bow, (a[1] + b[1]) / 2
    return f"M{a[0]:.1f} {a[1]:.1f} Q{cx:.1f} {cy:.1f} {b[0]:.1f} {b[1]:.1f}"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _svg(graph: EvidenceGraph) -> str:
    positions = layout(graph)
    width = max(x for x, _ in positions.values()) + LABEL_ROOM
    height = max(y for _, y in positions.values()) + MARGIN
    edges = []
    for edge in graph.edges:
        colour, stroke, dash = EDGE_STYLES.get(edge.type, (OTHER_COLOUR, 1.2, ""))
        detail = ", ".join(f"{k} {v}" for k, v in edge.details.items())
        edges.append(
            f'<path class="edge" data-source="{html.escape(edge.source)}" data-target="{html.escape(edge.target)}" '
            f'data-type="{edge.type}" d="{_curve(positions[edge.source], positions[edge.target])}" '
            f'stroke="{colour}" stroke-width="{stroke}" stroke-dasharray="{dash}">'
            f'<title>{html.escape(edge.type + (f" ({detail})" if detail else ""))}</title></path>')
    nodes = []
    for node in graph.nodes:
        x, y = positions[node.id]
        mark, half = _shape(node, _colour(node))
        nodes.append(
            f'<g class="node" data-node-id="{html.escape(node.id)}" data-kind="{node.kind}" '
            f'data-tier="{html.escape(node.tier or "")}" data-x="{x:.1f}" data-y="{y:.1f}" '
            f'transform="translate({x:.1f} {y:.1f})"><title>{html.escape(node.label)}</title>{mark}'
            f'<text class="label" x="{half + 5:.1f}" y="4">{html.escape(_short(node.label, 24))}</text></g>')
    return (f'<svg id="evidence-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'preserveAspectRatio="xMidYMid meet"><g id="viewport"><g class="edges">{"".join(edges)}</g>'
            f'<g class="nodes">{"".join(nodes)}</g></g></svg>')


def _legend(graph: EvidenceGraph) -> str:
    swatch = '<svg width="16" height="16" viewBox="-8 -8 16 16">{}</svg>'
    kinds = [("question", swatch.format(f'<circle r="7" fill="{QUESTION_COLOUR}"/>')),
             ("chunk of a document", swatch.format('<rect x="-6" y="-6" width="12" height="12" rx="2" fill="#888"/>')),
             ("entity (size: weight)", swatch.format('<circle r="6" fill="#888"/>')),
             ("concept", swatch.format('<polygon points="0,-7 7,0 0,7 -7,0" fill="#888"/>'))]
    tiers = [(tier, swatch.format(f'<rect x="-7" y="-7" width="14" height="14" fill="{colour}"/>'))
             for tier, colour in TIER_COLOURS.items()]
    types = sorted({e.type for e in graph.edges}, key=list(EDGE_STYLES).index)
    lines = [(f"{t}: {EDGE_MEANINGS[t]}",
              '<svg width="28" height="10"><line x1="0" y1="5" x2="28" y2="5" stroke="{}" stroke-width="{}" '
              'stroke-dasharray="{}"/></svg>'.format(*EDGE_STYLES[t])) for t in types]
    items = "".join(f"<li>{mark} {html.escape(text)}</li>" for text, mark in [*kinds, *tiers, *lines])
    return f'<ul class="legend">{items}</ul>'


def _citation_items(graph: EvidenceGraph) -> str:
    items = []
    for c in graph.citations:
        where = (f"{c.tier}, {c.source}, chars {c.start}–{c.end}" if c.kind == "chunk"
                 else f"concept {c.concept_id}, {c.source}")
        items.append(f'<li data-target="{html.escape(citation_node_id(c))}"><b>[{c.n}]</b> {html.escape(c.title)} '
                     f'<span class="meta">({html.escape(where)})</span><q>{html.escape(_short(c.quote, 320))}</q></li>')
    return f'<ol class="citations">{"".join(items)}</ol>'


def _script_json(value: object) -> str:
    # Inside <script>, "</script>" or "<!--" in the data would end or confuse the element.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(graph: EvidenceGraph, *, title: str) -> str:
    """A self-contained HTML page (inline SVG, CSS and script; nothing loaded from the network)
    drawing the evidence graph: drag nodes, pan by dragging the background, zoom with the wheel,
    hover or click a node for its details; the answer, legend and numbered citations beside it."""
    data = {n.id: {"kind": n.kind, "label": n.label, "tier": n.tier, "details": n.details} for n in graph.nodes}
    left_out = (f'<p class="note">{graph.left_out} more entities left out to keep the picture readable.</p>'
                if graph.left_out else "")
    return _PAGE.format(
        title=html.escape(title), svg=_svg(graph), question=html.escape(graph.question),
        answer=html.escape(graph.answer), legend=_legend(graph), citations=_citation_items(graph),
        left_out=left_out, data=_script_json(data), style=_STYLE, script=_SCRIPT,
    )


_STYLE = """
body { margin: 0; display: flex; height: 100vh; font: 14px/1.45 system-ui, sans-serif; color: #222; }
main { flex: 1; min-width: 0; background: #fbfbfd; }
#evidence-graph { width: 100%; height: 100%; display: block; cursor: grab; touch-action: none; user-select: none; }
#evidence-graph.panning { cursor: grabbing; }
.edge { fill: none; }
.node { cursor: pointer; }
.node .mark { fill: #fff; font: bold 12px system-ui, sans-serif; pointer-events: none; }
.node .label { font: 12px system-ui, sans-serif; fill: #222; paint-order: stroke; stroke: #fbfbfd;
  stroke-width: 4px; stroke-linejoin: round; }
.node.selected circle, .node.selected rect, .node.selected polygon { stroke: #f1c40f; stroke-width: 4px; }
.dim { opacity: 0.15; }
aside { box-sizing: border-box; width: 420px; overflow: hidden auto; overflow-wrap: anywhere; padding: 0 18px 18px; border-left: 1px solid #ddd; background: #fff; }
h1 { font-size: 17px; margin: 16px 0 8px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #666; margin: 18px 0 6px; }
.legend { list-style: none; padding: 0; margin: 0; font-size: 12px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.citations { padding-left: 0; list-style: none; font-size: 13px; }
.citations li { margin-bottom: 10px; cursor: pointer; }
.citations li:hover { background: #f3f6fb; }
.meta, .note, .hint { color: #777; font-size: 12px; }
q { display: block; margin-top: 2px; color: #444; font-style: italic; }
dl { margin: 0; font-size: 13px; }
dt { font-weight: 600; color: #555; margin-top: 4px; }
dd { margin: 0 0 0 10px; overflow-wrap: anywhere; }
blockquote { margin: 2px 0 0 10px; font-style: italic; white-space: pre-wrap; }
"""

_SCRIPT = """
(() => {
  const svg = document.getElementById("evidence-graph");
  const viewport = document.getElementById("viewport");
  const data = JSON.parse(document.getElementById("evidence-data").textContent);
  const panel = document.getElementById("details");
  const hint = panel.innerHTML;
  const nodes = new Map();
  svg.querySelectorAll(".node").forEach(el =>
    nodes.set(el.dataset.nodeId, {el, x: +el.dataset.x, y: +el.dataset.y}));
  const edges = [...svg.querySelectorAll(".edge")];
  const view = {x: 0, y: 0, scale: 1};
  let pinned = null, drag = null;

  // The same curve as the Python layout draws.
  function curve(a, b) {
    const bow = Math.abs(a.x - b.x) < 1 ? 30 + 0.35 * Math.abs(b.y - a.y) : 0;
    return `M${a.x} ${a.y} Q${(a.x + b.x) / 2 - bow} ${(a.y + b.y) / 2} ${b.x} ${b.y}`;
  }
  function move(id) {
    const n = nodes.get(id);
    n.el.setAttribute("transform", `translate(${n.x} ${n.y})`);
    n.el.dataset.x = n.x; n.el.dataset.y = n.y;
    for (const e of edges)
      if (e.dataset.source === id || e.dataset.target === id)
        e.setAttribute("d", curve(nodes.get(e.dataset.source), nodes.get(e.dataset.target)));
  }
  function applyView() {
    viewport.setAttribute("transform", `translate(${view.x} ${view.y}) scale(${view.scale})`);
  }
  function point(ev, element) {
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(element.getScreenCTM().inverse());
    return {x: p.x, y: p.y};
  }
  function show(id) {
    if (id === null) { panel.innerHTML = hint; return; }
    const node = data[id];
    panel.replaceChildren();
    const head = document.createElement("h2");
    head.textContent = `${node.kind}${node.tier ? " (" + node.tier + ")" : ""}`;
    const name = document.createElement("p");
    name.textContent = node.label;
    name.style.fontWeight = "600";
    const list = document.createElement("dl");
    for (const [key, value] of Object.entries(node.details)) {
      const dt = document.createElement("dt");
      dt.textContent = key.replaceAll("_", " ");
      const long = key === "quote" || key === "definition" || key === "answer";
      const dd = document.createElement(long ? "blockquote" : "dd");
      dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
      list.append(dt, dd);
    }
    panel.append(head, name, list);
  }
  function select(id) {
    pinned = id;
    const near = new Set(id === null ? [] : [id]);
    for (const e of edges) {
      const touches = e.dataset.source === id || e.dataset.target === id;
      if (touches) { near.add(e.dataset.source); near.add(e.dataset.target); }
      e.classList.toggle("dim", id !== null && !touches);
    }
    for (const [key, n] of nodes) {
      n.el.classList.toggle("dim", id !== null && !near.has(key));
      n.el.classList.toggle("selected", key === id);
    }
    show(id);
  }

  svg.addEventListener("pointerdown", ev => {
    const el = ev.target.closest(".node");
    if (el) {
      const n = nodes.get(el.dataset.nodeId), p = point(ev, viewport);
      drag = {id: el.dataset.nodeId, dx: p.x - n.x, dy: p.y - n.y, moved: false};
    } else {
      const p = point(ev, svg);
      drag = {id: null, x: p.x - view.x, y: p.y - view.y, moved: false};
      svg.classList.add("panning");
    }
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", ev => {
    if (!drag) return;
    drag.moved = true;
    if (drag.id !== null) {
      const n = nodes.get(drag.id), p = point(ev, viewport);
      n.x = p.x - drag.dx; n.y = p.y - drag.dy;
      move(drag.id);
    } else {
      const p = point(ev, svg);
      view.x = p.x - drag.x; view.y = p.y - drag.y;
      applyView();
    }
  });
  svg.addEventListener("pointerup", () => {
    if (drag && !drag.moved) select(drag.id);
    drag = null;
    svg.classList.remove("panning");
  });
  svg.addEventListener("wheel", ev => {
    ev.preventDefault();
    const p = point(ev, svg);
    const scale = Math.min(8, Math.max(0.2, view.scale * Math.exp(-ev.deltaY * 0.0015)));
    const f = scale / view.scale;
    view.x = p.x - (p.x - view.x) * f; view.y = p.y - (p.y - view.y) * f; view.scale = scale;
    applyView();
  }, {passive: false});
  svg.addEventListener("dblclick", () => { view.x = 0; view.y = 0; view.scale = 1; applyView(); });
  svg.addEventListener("pointerover", ev => {
    const el = ev.target.closest(".node");
    if (el && !drag) show(el.dataset.nodeId);
  });
  svg.addEventListener("pointerout", ev => {
    if (ev.target.closest(".node") && !drag) show(pinned);
  });
  document.querySelectorAll(".citations li").forEach(li =>
    li.addEventListener("click", () => select(li.dataset.target)));
  svg.dataset.interactive = "true";
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>{svg}</main>
<aside>
<h1>{title}</h1>
<h2>Question</h2><p>{question}</p>
<h2>Answer</h2><p>{answer}</p>
<h2>Details</h2><div id="details"><p class="hint">Hover over or click a node for its details; drag nodes,
drag the background to pan, use the wheel to zoom, double-click to reset the view.</p></div>
<h2>Legend</h2>{legend}
<h2>Evidence</h2>{citations}{left_out}
</aside>
<script type="application/json" id="evidence-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
