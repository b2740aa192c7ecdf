import json
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from pydantic import ValidationError

from medgraphrag.core.errors import LLMError
from medgraphrag.graph.tags import LeafEntity, MetaGraphContent
from medgraphrag.ingest.llm_construction import TagSummary
from medgraphrag.ingest.offline import ExtractiveSummarizer
from medgraphrag.ingest.tags import Tag, build_tree, leaf_tag, merge_layer, rebuild_tags
from medgraphrag.nlp.assertion import AFFIRMED, CONDITIONAL, FAMILY, HISTORICAL, NEGATED
from medgraphrag.nlp.semantic_groups import ABSENT, FAMILY_HISTORY, HYPOTHETICAL, ITEMS_PER_CATEGORY
from medgraphrag.service import MedGraph
from tests.conftest import make_settings

MERGE = ExtractiveSummarizer().merged


def _leaf(graph_id: str, vector: list[float], entities: list[tuple[str, str, str]]) -> Tag:
    content = MetaGraphContent(
        graph_id, [LeafEntity(f"{graph_id}-{n}", n, t, None, (status,)) for n, t, status in entities], None
    )
    vectors = {e.entity_id: np.asarray(vector, dtype=np.float32) for e in content.entities}
    return leaf_tag(content, vectors, ExtractiveSummarizer(), generation=0, dimension=len(vector))


def test_leaf_summary_groups_entities_by_category_and_keeps_what_is_not_the_patients_apart() -> None:
    tag = _leaf(
        "g1",
        [3, 4, 0],
        [
            ("Fever", "Disorders", AFFIRMED),
            ("Aspirin", "Chemicals & Drugs", AFFIRMED),
            ("Pneumonia", "Disorders", NEGATED),
            ("Fever", "Disorders", AFFIRMED),
            ("Breast cancer", "Disorders", FAMILY),
            ("Chest pain", "Disorders", CONDITIONAL),
            ("Asthma", "Disorders", HISTORICAL),
        ],
    )
    assert tag.categories == {
        ABSENT: ["Pneumonia"],
        FAMILY_HISTORY: ["Breast cancer"],
        HYPOTHETICAL: ["Chest pain"],
        "Medication and substances": ["Aspirin"],
        "Problems and symptoms": ["Asthma", "Fever"],
    }
    assert "Problems and symptoms: Asthma, Fever" in tag.summary and "Family history: Breast cancer" in tag.summary
    assert np.allclose(tag.vector, [0.6, 0.8, 0.0])
    assert tag.layer == 0 and tag.graph_id == "g1"


def test_mutual_nearest_pairs_merge_and_the_tree_stops_when_nothing_merges() -> None:
    leaves = [
        _leaf("a1", [1, 0.05, 0], [("Asthma", "Disorders", AFFIRMED)]),
        _leaf("a2", [1, -0.05, 0], [("Asthma", "Disorders", AFFIRMED), ("Salbutamol", "Chemicals & Drugs", AFFIRMED)]),
        _leaf("b1", [0, 1, 0.05], [("Gout", "Disorders", AFFIRMED)]),
        _leaf("b2", [0, 1, -0.05], [("Gout", "Disorders", AFFIRMED)]),
        _leaf("c", [0, 0, 1], [("Fracture", "Disorders", AFFIRMED)]),
    ]
    settings = make_settings(tags={"top_fraction": 1.0, "merge_threshold": 0.5}).tags
    layers = build_tree(leaves, settings, merge=MERGE, generation=0, model="all-MiniLM-L6-v2")
    assert len(layers) == 2  # the two merged groups are orthogonal: below delta, so the tree stops
    merged = {frozenset(t.children): t for t in layers[1]}
    a = merged[frozenset({leaves[0].tag_id, leaves[1].tag_id})]
    assert frozenset({leaves[2].tag_id, leaves[3].tag_id}) in merged
    assert a.size == 2 and a.categories["Problems and symptoms"] == ["Asthma"]
    assert a.categories["Medication and substances"] == ["Salbutamol"]
    # The group's vector is the mean of its members: its dot product with another group's is the
    # mean pairwise cosine.
    assert np.allclose(a.vector, (leaves[0].vector + leaves[1].vector) / 2)


def test_only_the_top_fraction_of_nearest_similarities_merges() -> None:
    leaves = [
        _leaf(f"g{i}", v, [("X", "Disorders", AFFIRMED)])
        for i, v in enumerate([[1, 0.01, 0], [1, -0.01, 0], [0, 1, 0.3], [0, 1, -0.3]])
    ]
    above = merge_layer(leaves, 1, top_fraction=0.5, delta=0.0, merge=MERGE, generation=0)
    assert [sorted(t.children) for t in above if t.layer == 1] == [sorted([leaves[0].tag_id, leaves[1].tag_id])]
    assert {t.tag_id for t in above if t.layer == 0} == {leaves[2].tag_id, leaves[3].tag_id}


def test_rebuild_writes_a_tag_per_meta_graph_and_replaces_the_tree(
    service, driver, clinical_vocabulary, tmp_path, neo4j_settings, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from medgraphrag.cli import app
    from tests.test_construction import NOTE, REFERENCE, _write

    service.ingest([_write(tmp_path, "note.txt", NOTE)], tier="user")
    service.ingest(
        [_write(tmp_path, "ref.txt", REFERENCE + "\n\nAmoxicillin treats pneumonia with fever.\n")], tier="reference"
    )
    first = service.rebuild_tags()
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j.password.get_secret_value())
    result = CliRunner().invoke(app, ["tags", "rebuild"])
    assert result.exit_code == 0 and f"{len(first.layers)} layers of tags" in result.output
    second = service.rebuild_tags()
    assert first.layers == second.layers
    assert second.generation > first.generation >= 1  # each rebuild publishes a new generation
    records, _, _ = driver.execute_query(
        "MATCH (g:MetaGraph) OPTIONAL MATCH (t:Tag {layer: 0})-[:SUMMARIZES]->(g) "
        "RETURN g.graph_id AS graph, count(t) AS tags"
    )
    assert records and all(r["tags"] == 1 for r in records)
    assert first.layers[0] == len(records)
    records, _, _ = driver.execute_query(
        "MATCH (t:Tag) RETURN t.layer AS layer, t.summary AS summary, size(t.embedding) AS dims, "
        "COUNT { (t)-[:PARENT_OF]->() } AS children ORDER BY layer"
    )
    assert all(r["dims"] == 384 for r in records)
    assert all((r["layer"] == 0) == (r["children"] == 0) for r in records)
    assert any("Problems and symptoms:" in r["summary"] for r in records)
    assert any(f"{ABSENT}: Pneumonia" in r["summary"] for r in records if r["layer"] == 0)


def test_llm_tag_summary_keeps_only_the_fixed_categories() -> None:
    with pytest.raises(ValidationError, match="Symptoms"):
        TagSummary.model_validate({"categories": {"Symptoms": ["Fever"]}})
    summary = TagSummary.model_validate(
        {
            "categories": {
                " problems and SYMPTOMS ": [f"item {i}" for i in range(ITEMS_PER_CATEGORY + 3)] + ["item 0"],
                "Absent findings": ["Pneumonia", " ", "Pneumonia"],
                "Devices": [],
            }
        }
    )
    assert summary.categories == {
        ABSENT: ["Pneumonia"],
        "Problems and symptoms": [f"item {i}" for i in range(ITEMS_PER_CATEGORY)],
    }


def _tag_responder(body: dict) -> str:
    """Construction answers as in test_construction_llm; a leaf tag's summary names its entities (the
    first answer uses an unknown category, so the model is asked again); a merged tag's joins its
    children's items."""
    from tests.test_construction_llm import _responder

    messages = body["messages"]
    system, user = messages[0]["content"], messages[-1]["content"]
    if "Generate a structured summary" in system:
        if len(messages) == 2:
            return json.dumps({"categories": {"Symptoms": ["fever"]}})
        content = messages[1]["content"].split("CONTENT:\n", 1)[1]
        names = sorted({line[2:].split(" (")[0] for line in content.splitlines()})
        return json.dumps({"categories": {"other concepts": ["leaf " + "+".join(names)]}})
    if "merge the tag summaries" in system:
        children = [json.loads(line)["categories"] for line in user.split("SUMMARIES:\n", 1)[1].splitlines()]
        items = sorted(item for child in children for items in child.values() for item in items)
        return json.dumps({"categories": {"Problems and symptoms": ["merged " + " & ".join(items)]}})
    return _responder(body)


class _FailingSummarizer:
    """A tag summarizer whose model fails on every summary."""

    fallbacks = 0

    def leaf(self, entities: Sequence[LeafEntity]) -> dict[str, list[str]]:
        raise LLMError("no valid TagSummary JSON after 3 attempts")

    def merged(self, children: Sequence[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
        raise LLMError("no valid TagSummary JSON after 3 attempts")


def _stored_tags(driver) -> list[dict]:
    records, _, _ = driver.execute_query(
        "MATCH (t:Tag) OPTIONAL MATCH (t)-[:PARENT_OF]->(child:Tag) "
        "OPTIONAL MATCH (t)-[:SUMMARIZES]->(:MetaGraph)-[:FROM_CHUNK]->(:Chunk)-[:MENTIONS]->(e:Entity) "
        "RETURN t.tag_id AS tag_id, t.layer AS layer, t.summary AS summary, collect(DISTINCT e.name) AS names, "
        "collect(DISTINCT child.summary) AS children ORDER BY layer, tag_id"
    )
    return [{**r.data(), "names": sorted(r["names"]), "children": sorted(r["children"])} for r in records]


def test_llm_writes_leaf_and_merged_tag_summaries(
    neo4j_settings, driver, embedder, clinical_vocabulary, tmp_path, openai_server
) -> None:
    from tests.test_construction import REFERENCE, _write
    from tests.test_construction_llm import NOTE

    server = openai_server(_tag_responder)
    settings = neo4j_settings.replace(
        llm={"base_url": server.base_url, "answer_model": "test-model"},
        paths={"data_dir": tmp_path / "state"},
        tags={"top_fraction": 1.0, "merge_threshold": -1.0},
    )
    with MedGraph(settings, embedder=embedder) as service:
        service.ingest([_write(tmp_path / "ref", "ref.txt", REFERENCE)], tier="reference")
        report = service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
        assert report.errors == [] and report.tags_attached == 2
        # Leaves attached to an existing tree get their summaries from the LLM too.
        attached = _stored_tags(driver)
        assert [t["summary"] for t in attached if t["layer"] == 0] == [
            f"Other concepts: leaf {'+'.join(sorted(t['names']))}" for t in attached if t["layer"] == 0
        ]
        tree = service.rebuild_tags()
    assert tree.layers == [3, 1, 1]
    tags = _stored_tags(driver)
    for tag in tags:
        if tag["layer"] == 0:
            assert tag["names"] and tag["summary"] == f"Other concepts: leaf {'+'.join(sorted(tag['names']))}"
        else:
            # A merged tag's prompt carried its children's LLM summaries, layer 2's included.
            items = sorted(child.split(": ", 1)[1] for child in tag["children"])
            assert tag["summary"] == f"Problems and symptoms: merged {' & '.join(items)}"
    assert tags[-1]["summary"].count("leaf ") == 3
    leaf_prompts = [
        b["messages"][1]["content"]
        for b in server.requests
        if "Generate a structured summary" in b["messages"][0]["content"]
    ]
    # Negation and context reach the LLM.
    assert any(
        "- Myocardial infarction (Disorders, absent): The patient never had a heart attack." in p for p in leaf_prompts
    )
    retries = [b["messages"][-1]["content"] for b in server.requests if len(b["messages"]) > 2]
    assert retries and all("Your answer is invalid" in r and "Symptoms" in r for r in retries)

    # A rebuild that fails is abandoned before the old tree is removed, and releases its lease.
    with MedGraph(settings, embedder=embedder) as service:
        with pytest.raises(LLMError, match="TagSummary"):
            rebuild_tags(
                service.store.tags,
                service.settings.tags,
                _FailingSummarizer(),
                dimension=384,
                model=service.embedder.name,
            )
        assert _stored_tags(driver) == tags
        assert service.store.tags.published() == tree.generation

    # A model that keeps naming unknown categories no longer fails the rebuild: each summary it
    # cannot give falls back to the extractive one.
    stubborn = openai_server(lambda body: '{"categories": {"Symptoms": ["fever"]}}')
    settings = settings.replace(llm={"base_url": stubborn.base_url}, paths={"data_dir": tmp_path / "stubborn"})
    with MedGraph(settings, embedder=embedder) as service:
        assert service.rebuild_tags().layers == tree.layers
    _assert_extractive(_stored_tags(driver))


def test_offline_tag_summaries_stay_extractive(service, driver, clinical_vocabulary, tmp_path, neo4j_settings) -> None:
    from tests.test_construction import NOTE, REFERENCE, _write

    service.ingest([_write(tmp_path, "note.txt", NOTE)], tier="user")
    service.ingest([_write(tmp_path, "ref.txt", REFERENCE)], tier="reference")
    settings = neo4j_settings.replace(tags={"top_fraction": 1.0, "merge_threshold": -1.0})
    with MedGraph(settings, embedder=service.embedder) as offline:
        assert offline.rebuild_tags().layers[1:]
    tags = _stored_tags(driver)
    _assert_extractive(tags)
    assert any(f"{ABSENT}: Pneumonia" in t["summary"] for t in tags if t["layer"] == 0)


def _assert_extractive(tags: list[dict]) -> None:
    """A leaf's summary lists its entities' names; a merged tag's lists items of its children's."""
    for tag in tags:
        lines = dict(line.split(": ", 1) for line in tag["summary"].splitlines())
        if tag["layer"] == 0:
            assert sorted(item for items in lines.values() for item in items.split(", ")) == sorted(tag["names"])
        else:
            children = [dict(line.split(": ", 1) for line in child.splitlines()) for child in tag["children"]]
            assert set(lines) == {category for child in children for category in child}
            assert all(
                set(items.split(", ")) <= {item for child in children for item in child.get(category, "").split(", ")}
                for category, items in lines.items()
            )
