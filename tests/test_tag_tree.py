import numpy as np

from medgraphrag.graph.tag_tree import ABSENT, build_tree, leaf_tag, merge_layer


def _leaf(graph_id: str, vector: list[float], entities: list[tuple[str, str, bool]]) -> object:
    rows = [{"entity_id": f"{graph_id}-{n}", "name": n, "type": t, "negated": neg} for n, t, neg in entities]
    vectors = {r["entity_id"]: np.asarray(vector, dtype=np.float32) for r in rows}
    return leaf_tag(graph_id, rows, vectors, len(vector))


def test_leaf_summary_groups_entities_by_category_and_keeps_negated_apart() -> None:
    tag = _leaf("g1", [3, 4, 0], [("Fever", "Disorders", False), ("Aspirin", "Chemicals & Drugs", False),
                                  ("Pneumonia", "Disorders", True), ("Fever", "Disorders", False)])
    assert tag.categories == {ABSENT: ["Pneumonia"], "Medication and substances": ["Aspirin"],
                              "Problems and symptoms": ["Fever"]}
    assert "Problems and symptoms: Fever" in tag.summary
    assert np.allclose(tag.vector, [0.6, 0.8, 0.0])
    assert tag.layer == 0 and tag.graph_id == "g1"


def test_mutual_nearest_pairs_merge_and_the_tree_stops_when_nothing_merges() -> None:
    leaves = [
        _leaf("a1", [1, 0.05, 0], [("Asthma", "Disorders", False)]),
        _leaf("a2", [1, -0.05, 0], [("Asthma", "Disorders", False), ("Salbutamol", "Chemicals & Drugs", False)]),
        _leaf("b1", [0, 1, 0.05], [("Gout", "Disorders", False)]),
        _leaf("b2", [0, 1, -0.05], [("Gout", "Disorders", False)]),
        _leaf("c", [0, 0, 1], [("Fracture", "Disorders", False)]),
    ]
    layers = build_tree(leaves, top_fraction=1.0, delta=0.5)
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
    leaves = [_leaf(f"g{i}", v, [("X", "Disorders", False)]) for i, v in enumerate(
        [[1, 0.01, 0], [1, -0.01, 0], [0, 1, 0.3], [0, 1, -0.3]])]
    above = merge_layer(leaves, 1, top_fraction=0.5, delta=0.0)
    assert [sorted(t.children) for t in above if t.layer == 1] == [sorted([leaves[0].tag_id, leaves[1].tag_id])]
    assert {t.tag_id for t in above if t.layer == 0} == {leaves[2].tag_id, leaves[3].tag_id}


def test_rebuild_writes_a_tag_per_meta_graph_and_replaces_the_tree(service, driver, clinical_vocabulary,
                                                                     tmp_path, neo4j_settings, monkeypatch) -> None:
    from typer.testing import CliRunner

    from medgraphrag.cli import app
    from tests.test_construction import NOTE, REFERENCE, _write

    service.ingest([_write(tmp_path, "note.txt", NOTE)], tier="user")
    service.ingest([_write(tmp_path, "ref.txt", REFERENCE + "\n\nAmoxicillin treats pneumonia with fever.\n")],
                   tier="reference")
    first = service.rebuild_tags()
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j_uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password.get_secret_value())
    result = CliRunner().invoke(app, ["tags", "rebuild"])
    assert result.exit_code == 0 and f"{len(first.layers)} layers of tags" in result.output
    second = service.rebuild_tags()
    assert first.layers == second.layers
    records, _, _ = driver.execute_query(
        "MATCH (g:MetaGraph) OPTIONAL MATCH (t:Tag {layer: 0})-[:SUMMARIZES]->(g) "
        "RETURN g.graph_id AS graph, count(t) AS tags")
    assert records and all(r["tags"] == 1 for r in records)
    assert first.layers[0] == len(records)
    records, _, _ = driver.execute_query(
        "MATCH (t:Tag) RETURN t.layer AS layer, t.summary AS summary, size(t.embedding) AS dims, "
        "COUNT { (t)-[:PARENT_OF]->() } AS children ORDER BY layer")
    assert all(r["dims"] == 384 for r in records)
    assert all((r["layer"] == 0) == (r["children"] == 0) for r in records)
    assert any("Problems and symptoms:" in r["summary"] for r in records)
    assert any(f"{ABSENT}: Pneumonia" in r["summary"] for r in records if r["layer"] == 0)
