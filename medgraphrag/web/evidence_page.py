"""The picture of an answer's evidence as a self-contained interactive HTML page: inline SVG, CSS
and script (this package's resource files), nothing loaded from the network."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from string import Template

from medgraphrag.retrieval.evidence_graph import EvidenceGraph, GraphNode, citation_node_id

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


def _barycentre(
    node: GraphNode, neighbours: set[str], placed: dict[str, tuple[float, float]]
) -> tuple[float, float, str]:
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
        return (f'<circle r="17" fill="{colour}"/><text class="mark" text-anchor="middle" y="5">Q</text>'), 17.0
    if node.kind == "chunk":
        return (
            f'<rect x="-13" y="-13" width="26" height="26" rx="4" fill="{colour}"/>'
            f'<text class="mark" text-anchor="middle" y="4">{node.details.get("citation", "")}</text>'
        ), 13.0
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
            f"<title>{html.escape(edge.type + (f' ({detail})' if detail else ''))}</title></path>"
        )
    nodes = []
    for node in graph.nodes:
        x, y = positions[node.id]
        mark, half = _shape(node, _colour(node))
        nodes.append(
            f'<g class="node" data-node-id="{html.escape(node.id)}" data-kind="{node.kind}" '
            f'data-tier="{html.escape(node.tier or "")}" data-x="{x:.1f}" data-y="{y:.1f}" '
            f'transform="translate({x:.1f} {y:.1f})"><title>{html.escape(node.label)}</title>{mark}'
            f'<text class="label" x="{half + 5:.1f}" y="4">{html.escape(_short(node.label, 24))}</text></g>'
        )
    return (
        f'<svg id="evidence-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'preserveAspectRatio="xMidYMid meet"><g id="viewport"><g class="edges">{"".join(edges)}</g>'
        f'<g class="nodes">{"".join(nodes)}</g></g></svg>'
    )


def _legend(graph: EvidenceGraph) -> str:
    swatch = '<svg width="16" height="16" viewBox="-8 -8 16 16">{}</svg>'
    kinds = [
        ("question", swatch.format(f'<circle r="7" fill="{QUESTION_COLOUR}"/>')),
        ("chunk of a document", swatch.format('<rect x="-6" y="-6" width="12" height="12" rx="2" fill="#888"/>')),
        ("entity (size: weight)", swatch.format('<circle r="6" fill="#888"/>')),
        ("concept", swatch.format('<polygon points="0,-7 7,0 0,7 -7,0" fill="#888"/>')),
    ]
    tiers = [
        (tier, swatch.format(f'<rect x="-7" y="-7" width="14" height="14" fill="{colour}"/>'))
        for tier, colour in TIER_COLOURS.items()
    ]
    types = sorted({e.type for e in graph.edges}, key=list(EDGE_STYLES).index)
    lines = [
        (
            f"{t}: {EDGE_MEANINGS[t]}",
            '<svg width="28" height="10"><line x1="0" y1="5" x2="28" y2="5" stroke="{}" stroke-width="{}" '
            'stroke-dasharray="{}"/></svg>'.format(*EDGE_STYLES[t]),
        )
        for t in types
    ]
    items = "".join(f"<li>{mark} {html.escape(text)}</li>" for text, mark in [*kinds, *tiers, *lines])
    return f'<ul class="legend">{items}</ul>'


def _citation_items(graph: EvidenceGraph) -> str:
    items = []
    for c in graph.citations:
        where = (
            f"{c.tier}, {c.source}, chars {c.start}–{c.end}"
            if c.kind == "chunk"
            else f"concept {c.concept_id}, {c.source}"
        )
        items.append(
            f'<li data-target="{html.escape(citation_node_id(c))}"><b>[{c.n}]</b> {html.escape(c.title)} '
            f'<span class="meta">({html.escape(where)})</span><q>{html.escape(_short(c.quote, 320))}</q></li>'
        )
    return f'<ol class="citations">{"".join(items)}</ol>'


def _script_json(value: object) -> str:
    # Inside <script>, "</script>" or "<!--" in the data would end or confuse the element.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(graph: EvidenceGraph, *, title: str) -> str:
    """A self-contained HTML page (inline SVG, CSS and script; nothing loaded from the network)
    drawing the evidence graph: drag nodes, pan by dragging the background, zoom with the wheel,
    hover or click a node for its details; the answer, legend and numbered citations beside it."""
    data = {n.id: {"kind": n.kind, "label": n.label, "tier": n.tier, "details": n.details} for n in graph.nodes}
    left_out = (
        f'<p class="note">{graph.left_out} more entities left out to keep the picture readable.</p>'
        if graph.left_out
        else ""
    )
    return _resource("evidence.html").substitute(
        title=html.escape(title),
        svg=_svg(graph),
        question=html.escape(graph.question),
        answer=html.escape(graph.answer),
        legend=_legend(graph),
        citations=_citation_items(graph),
        left_out=left_out,
        data=_script_json(data),
        style=_resource("evidence.css").template,
        script=_resource("evidence.js").template,
    )


@cache
def _resource(name: str) -> Template:
    """A file of this package (the page's HTML, CSS and script), read once."""
    return Template(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
