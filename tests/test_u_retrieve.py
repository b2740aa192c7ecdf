"""U-retrieve end to end: the tag tree at ingest, the top-down walk, fallback, cited evidence, and
the LLM answer path against a local OpenAI-protocol server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.graph.vocab.records import SkipCounter
from medgraphrag.retrieval.u_retrieve import URetriever
from medgraphrag.service import MedGraph
from tests.conftest import CLINICAL_CONCEPTS, CLINICAL_RELATIONS

DEFINED = {
    "C0032285": "An infection of the lung parenchyma, usually bacterial or viral.",
    "C0002645": "A broad-spectrum penicillin antibiotic.",
    "C0025598": "A biguanide that lowers blood glucose.",
}
DOCUMENTS = {
    "pneumonia.txt": "Productive cough and fever for five days. Chest X-ray: right lower lobe consolidation.\n\n"
    "Plan: amoxicillin for community-acquired pneumonia.\n",
    "mi.md": "# Chest pain\n\nCrushing chest pain radiating to the left arm. The ECG suggests myocardial "
    "infarction.\n\nTroponin is raised: heart attack confirmed.\n",
    "diabetes.md": "# Metformin\n\nMetformin is first-line drug therapy for type 2 diabetes. It rarely causes "
    "hypoglycemia.\n\nType 2 diabetes with hypoglycemia on metformin is uncommon.\n",
    "failure.txt": "Congestive heart failure with fever and cough after pneumonia last winter.\n",
}


@pytest.fixture
def graph(neo4j_settings: Settings, driver: Driver, embedder, tmp_path: Path) -> MedGraph:
    """A service whose tag tree merges freely (so a handful of meta-graphs still makes layers),
    over a vocabulary with definitions and a small reference corpus."""
    settings = neo4j_settings.replace(tags={"top_fraction": 1.0, "merge_threshold": -1.0})
    service = MedGraph(settings, embedder=embedder)
    concepts = [dataclasses.replace(c, definition=DEFINED.get(c.concept_id)) for c in CLINICAL_CONCEPTS]
    service.store.vocabulary.write(
        versions={"test": "1"}, concepts=concepts, relations=CLINICAL_RELATIONS, skipped=SkipCounter()
    )
    folder = tmp_path / "reference"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = service.ingest([folder], tier="reference")
    assert report.errors == [] and report.tags_attached == report.chunks_written
    yield service
    service.close()


def _tree(driver: Driver) -> dict[str, object]:
    records, _, _ = driver.execute_query(
        "MATCH (g:MetaGraph) "
        "RETURN count(g) AS graphs, COUNT { MATCH (t:Tag)-[:SUMMARIZES]->(:MetaGraph) } AS leaves, "
        "COUNT { MATCH (g2:MetaGraph) WHERE NOT (:Tag)-[:SUMMARIZES]->(g2) RETURN g2 } AS untagged, "
        "COUNT { MATCH (t:Tag) WHERE t.layer > 0 AND NOT (t)-[:PARENT_OF]->() RETURN t } AS empty_parents, "
        "COLLECT { MATCH (r:Tag) WHERE NOT ()-[:PARENT_OF]->(r) RETURN r.size } AS root_sizes, "
        "COUNT { MATCH (t:Tag) WHERE t.layer > 0 RETURN t } AS merged"
    )
    return records[0].data()


def test_the_tree_is_built_at_ingest_and_walked_down_to_the_relevant_meta_graph(
    graph: MedGraph, driver: Driver
) -> None:
    tree = _tree(driver)
    assert tree["leaves"] == tree["graphs"] == len(DOCUMENTS) and tree["untagged"] == 0 and tree["merged"] > 0
    assert sum(tree["root_sizes"]) == tree["graphs"]  # every meta-graph sits under exactly one root

    vector = graph.embedder.embed(["amoxicillin for community-acquired pneumonia"])[0]
    settings = graph.settings.replace(retrieval={"beam": 1, "fallback_threshold": 0.0})
    route = URetriever(graph.store, settings.retrieval, settings.ranking, model=graph.embedder.name).walk(vector)
    assert not route.fallback and len(route.graph_ids) == 1
    records, _, _ = driver.execute_query(
        "MATCH (:MetaGraph {graph_id: $g})-[:FROM_CHUNK]->(c:Chunk) RETURN c.text AS text", g=route.graph_ids[0]
    )
    assert "amoxicillin" in records[0]["text"]
    # The path runs from a root down through parents to the chosen leaf.
    assert len(route.path) >= 2 and route.path[-1].graph_id == route.graph_ids[0]
    for parent, child in zip(route.path, route.path[1:]):
        assert child.parent_id == parent.tag_id and child.layer < parent.layer
    roots, _, _ = driver.execute_query(
        "MATCH (t:Tag {tag_id: $id}) RETURN NOT ()-[:PARENT_OF]->(t) AS root", id=route.path[0].tag_id
    )
    assert roots[0]["root"]


def test_new_meta_graphs_join_the_tree_and_deleted_ones_leave_it(
    graph: MedGraph, driver: Driver, tmp_path: Path
) -> None:
    before = _tree(driver)
    extra = tmp_path / "extra.txt"
    extra.write_text("Amoxicillin cleared the pneumonia; the cough and fever resolved.\n", encoding="utf-8")
    report = graph.ingest([extra], tier="reference")
    assert report.tags_attached == report.chunks_written == 1
    after = _tree(driver)
    assert after["untagged"] == 0 and after["graphs"] == before["graphs"] + 1
    assert after["merged"] == before["merged"]  # attached to the nearest leaf's parent, not rebuilt
    assert sum(after["root_sizes"]) == after["graphs"]

    for document in graph.documents(tier="reference"):
        if Path(str(document.source)).name in ("mi.md", "extra.txt"):
            graph.delete_documents([document.doc_id])
    gone = _tree(driver)
    assert gone["untagged"] == 0 and gone["leaves"] == gone["graphs"] < after["graphs"]
    assert gone["empty_parents"] == 0 and sum(gone["root_sizes"]) == gone["graphs"]


def test_routing_falls_back_to_global_entity_search(graph: MedGraph, driver: Driver) -> None:
    routed = graph.query("Which antibiotic treats pneumonia?", k=3)
    assert routed.trace.mode == "u-retrieve" and not routed.trace.fallback
    assert {e.via for e in routed.trace.entities} >= {"question", "meta-graph"}
    assert routed.trace.path and routed.trace.graph_ids

    strict = MedGraph(graph.settings.replace(retrieval={"fallback_threshold": 1.0}), embedder=graph.embedder)
    with strict:
        fallen = strict.query("Which antibiotic treats pneumonia?", k=3)
        assert fallen.trace.fallback and "global" in {e.via for e in fallen.trace.entities}
        assert "meta-graph" not in {e.via for e in fallen.trace.entities}
        assert "pneumonia.txt" in Path(fallen.citations[0].source or "").name

        # No tree at all (never built, or wiped): the same fallback, still an answer with evidence.
        driver.execute_query("MATCH (t:Tag) DETACH DELETE t")
        untagged = graph.query("Which antibiotic treats pneumonia?", k=3)
        assert untagged.trace.fallback and untagged.trace.tags == [[]] and untagged.claims


def test_every_citation_of_an_answer_resolves_to_its_evidence(graph: MedGraph, driver: Driver) -> None:
    answer = graph.query("What is first-line therapy for type 2 diabetes, and what is metformin?", k=3)
    by_n = {c.n: c for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert {"chunk", "concept"} <= {c.kind for c in answer.citations}
    assert answer.claims and all(claim.citations for claim in answer.claims)
    for claim in answer.claims:
        for n in claim.citations:
            assert n in by_n and f"[{n}]" in answer.text
            assert claim.text in by_n[n].quote
    for citation in answer.citations:
        if citation.kind == "chunk":
            assert (
                Path(str(citation.source)).read_text(encoding="utf-8")[citation.start : citation.end] == citation.quote
            )
        else:
            records, _, _ = driver.execute_query(
                "MATCH (c:Concept {concept_id: $id}) RETURN c.definition AS definition", id=citation.concept_id
            )
            assert records[0]["definition"] == citation.quote
    assert any(c.concept_id == "C0025598" for c in answer.citations)


def test_the_llm_answer_is_refined_along_the_path_and_its_citations_validated(
    graph: MedGraph,
    neo4j_settings: Settings,
    tmp_path: Path,
    openai_server,
) -> None:
    def responder(body: dict) -> str:
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if "summarize a medical question" in system:
            return '{"terms": ["lung infection"]}'
        if "answer medical questions" in system:
            assert "[1] (reference document" in user
            return (
                "Amoxicillin is the plan for community-acquired pneumonia [1]. "
                "It also cures heart failure [42]. Rest helps."
            )
        assert "improve an answer" in system and "SUMMARY:" in user
        last = user.split("LAST RESPONSE: ", 1)[1].split("\n\nSUMMARY:", 1)[0]
        return last

    server = openai_server(responder)
    settings = graph.settings.replace(
        llm={"base_url": server.base_url, "answer_model": "test-model"},
        paths={"data_dir": tmp_path / "state"},
        retrieval={"levels": 3},
    )
    with MedGraph(settings, embedder=graph.embedder) as service:
        answer = service.query("What is the plan for the patient's infection?", k=3)
    assert answer.mode == "llm"
    assert answer.removed_citations == [42] and "[42]" not in answer.text
    assert answer.uncited == ["It also cures heart failure.", "Rest helps."]
    assert answer.claims[0].citations == [1] and answer.claims[0].text.startswith("Amoxicillin")
    assert answer.citations[0].kind == "chunk" and "amoxicillin" in answer.citations[0].quote
    # The LLM's term "lung infection" is a synonym of pneumonia: it joins the question's concepts.
    assert "C0032285" in answer.trace.question_concepts
    refinements = [r for r in server.requests if "improve an answer" in r["messages"][0]["content"]]
    assert len(refinements) == min(len(answer.trace.path) - 1, settings.retrieval.levels - 1) >= 1


def test_the_question_s_concepts_are_searched_by_every_name_and_their_kin_by_theirs(
    graph: MedGraph, driver: Driver
) -> None:
    names, kin = graph.store.search.concept_terms(["C0027051"])
    assert names == ["Myocardial infarction", "heart attack"]
    assert kin == ["Acute myocardial infarction"]  # its child
    assert graph.store.search.concept_terms(["C0155626"])[1] == ["Myocardial infarction"]  # its parent
    # "lung infection" names pneumonia: its chunks never say "lung" or "infection", only "pneumonia".
    retrieval = graph.retrieval("What causes a lung infection?", k=5, mode="u-retrieve")
    assert set(retrieval.rankings) == {"vector", "fulltext", "synonyms", "kin", "graph", "route"}
    found = _texts(driver, retrieval.rankings["synonyms"])
    assert found and all("pneumonia" in t.lower() for t in found)
    assert not any("pneumonia" in t.lower() for t in _texts(driver, retrieval.rankings["fulltext"]))


def test_the_fusion_weights_come_from_the_settings_and_zero_leaves_a_ranking_out(
    neo4j_settings: Settings, graph: MedGraph, embedder
) -> None:
    only = {f"weight_{s}": 0.0 for s in ("vector", "fulltext", "kin", "graph", "route")}
    with MedGraph(neo4j_settings.replace(retrieval=only, ranking={"mmr_penalty": 0.0}), embedder=embedder) as service:
        retrieval = service.retrieval("What causes a lung infection?", k=3, mode="u-retrieve")
    assert [h.chunk_id for h in retrieval.hits] == retrieval.rankings["synonyms"][:3]


def _texts(driver: Driver, chunk_ids: list[str]) -> list[str]:
    records, _, _ = driver.execute_query(
        "MATCH (c:Chunk) WHERE c.chunk_id IN $ids RETURN c.text AS text", ids=chunk_ids
    )
    return [r["text"] for r in records]
