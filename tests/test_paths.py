"""kg.paths on the sample graph: what a person asking "how is Li-Ning tied to forced labour?" gets back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import NotFound
from kg.paths import KG, PathError, find_paths, resolve, store_runner
from support import sample_store, synthetic_record

DATA = "https://w3id.org/kg-spcomm/data/"
LI_NING = DATA + "company/li-ning-company-limited"
COMM = DATA + "communication/al-oth-70-2020"
FORCED_LABOUR = COMM + "/allegation/forced-labour"
CHINA = "https://w3id.org/kg-spcomm/vocab/country/CHN"
ALLEGATION = KG + "Allegation"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return sample_store(tmp_path_factory)


@pytest.fixture(scope="module")
def run(store: Any) -> Any:
    return store_runner(store)


def test_resolve_finds_the_company_by_name(run: Any) -> None:
    assert resolve(run, "Li-Ning") == [(LI_NING, "Li-Ning Company Limited")]
    assert len(resolve(run, "a")) > 1


def test_company_to_allegation_in_two_hops_with_evidence(run: Any) -> None:
    result = find_paths(run, LI_NING, target_types={ALLEGATION}, max_hops=4, mode="all", limit=500)
    assert result.complete
    two_hop = [
        p
        for p in result.paths
        if len(p.edges) == 2 and p.nodes[-1].iri == FORCED_LABOUR and p.nodes[1].iri == COMM
    ]
    assert len(two_hop) == 1
    path = two_hop[0]
    assert [n.label for n in path.nodes] == [
        "Li-Ning Company Limited",
        "AL OTH 70/2020",
        "Forced labour (AL OTH 70/2020)",
    ]
    assert [(e.property, e.direction) for e in path.edges] == [
        (KG + "addressedTo", "backward"),
        (KG + "raisesAllegation", "forward"),
    ]
    for edge in path.edges:
        assert edge.evidence, f"no evidence for {edge.property}"
        for ev in edge.evidence:
            assert ev.document == DATA + "graph/al-oth-70-2020"
            assert ev.quote is None  # the sample records carry offsets, not quotes
            assert ev.start is not None and ev.end is not None and ev.start < ev.end
    assert ALLEGATION in path.nodes[-1].types
    assert path.sentence == (
        "Li-Ning Company Limited received AL OTH 70/2020, which raises the allegation "
        "Forced labour (AL OTH 70/2020)."
    )


def test_shortest_keeps_only_minimal_paths(run: Any) -> None:
    shortest = find_paths(run, LI_NING, target_types={ALLEGATION}, limit=500)
    every = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=500)
    assert shortest.total < every.total
    # Li-Ning is named as implicated in the allegation itself: one hop beats the two via the letter.
    to_forced = [p for p in shortest.paths if p.nodes[-1].iri == FORCED_LABOUR]
    assert [len(p.edges) for p in to_forced] == [1]
    assert to_forced[0].sentence == "Li-Ning Company Limited is implicated in Forced labour (AL OTH 70/2020)."
    by_target: dict[str, int] = {}
    for p in shortest.paths:
        by_target.setdefault(p.nodes[-1].iri, len(p.edges))
        assert len(p.edges) == by_target[p.nodes[-1].iri]
    for p in every.paths:
        assert len({n.iri for n in p.nodes}) == len(p.nodes)  # simple paths
        assert len(p.edges) >= by_target[p.nodes[-1].iri]


def test_to_a_state_via_also_sent_to(run: Any) -> None:
    result = find_paths(run, LI_NING, targets={CHINA}, relations=[KG + "addressedTo", KG + "alsoSentTo"])
    assert [[n.iri for n in p.nodes] for p in result.paths] == [[LI_NING, COMM, CHINA]]
    path = result.paths[0]
    assert path.edges[1].property == KG + "alsoSentTo"
    assert path.edges[1].evidence
    assert path.sentence == "Li-Ning Company Limited received AL OTH 70/2020, which was also sent to China."


def test_inferred_facts_are_marked_and_can_be_left_out(run: Any) -> None:
    target = COMM + "/allegation/labour-rights"
    ask = {
        "targets": {target},
        "relations": [KG + "addressedTo", KG + "raisesAllegation", KG + "implicatedActor"],
    }
    with_inferred = find_paths(run, LI_NING, **ask)  # type: ignore[arg-type]
    stated_only = find_paths(run, LI_NING, include_inferred=False, **ask)  # type: ignore[arg-type]
    if not any(e.inferred for p in with_inferred.paths for e in p.edges):
        pytest.skip("this store holds no inferred facts about Li-Ning")
    assert [len(p.edges) for p in with_inferred.paths] == [1]
    assert with_inferred.paths[0].edges[0].inferred
    assert [len(p.edges) for p in stated_only.paths] == [2]
    assert not any(e.inferred for p in stated_only.paths for e in p.edges)


def test_max_hops_is_respected(run: Any) -> None:
    one = find_paths(run, LI_NING, target_types={KG + "HumanRightsIssue"}, max_hops=1, mode="all")
    assert one.paths == []
    three = find_paths(
        run, LI_NING, target_types={KG + "HumanRightsIssue"}, max_hops=3, mode="all", limit=1000
    )
    assert three.paths
    assert max(len(p.edges) for p in three.paths) <= 3
    assert min(len(p.edges) for p in three.paths) == 2


def test_bounds_mark_the_answer_incomplete(run: Any) -> None:
    timed = find_paths(run, LI_NING, target_types={ALLEGATION}, time_budget_s=0.0)
    assert not timed.complete
    narrow = find_paths(run, LI_NING, target_types={ALLEGATION}, max_frontier=1, max_hops=4)
    assert not narrow.complete


def test_pages_are_disjoint(run: Any) -> None:
    whole = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=1000)
    first = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=5)
    second = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=5, offset=5)

    def keys(result: Any) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        return [(tuple(n.iri for n in p.nodes), tuple(e.property for e in p.edges)) for p in result.paths]

    assert len(keys(first)) == len(keys(second)) == 5
    assert not set(keys(first)) & set(keys(second))
    assert keys(first) + keys(second) == keys(whole)[:10]
    assert first.next_offset(0, 5) == 5
    assert whole.next_offset(0, 1000) is None


def test_relation_filter_excludes_paths(run: Any) -> None:
    only_letters = find_paths(
        run,
        LI_NING,
        target_types={ALLEGATION},
        relations=[KG + "addressedTo", KG + "raisesAllegation"],
        limit=500,
    )
    assert only_letters.paths
    for p in only_letters.paths:
        assert {e.property for e in p.edges} <= {KG + "addressedTo", KG + "raisesAllegation"}
        assert len(p.edges) == 2
    nothing = find_paths(run, LI_NING, target_types={ALLEGATION}, relations=[KG + "citesNorm"])
    assert nothing.paths == [] and nothing.complete


def test_unknown_source_and_bad_arguments(run: Any) -> None:
    with pytest.raises(NotFound, match="not in the graph"):
        find_paths(run, DATA + "company/nobody", target_types={ALLEGATION})
    with pytest.raises(PathError):
        find_paths(run, "not an iri", target_types={ALLEGATION})
    with pytest.raises(PathError, match="target"):
        find_paths(run, LI_NING)
    with pytest.raises(PathError, match="mode"):
        find_paths(run, LI_NING, target_types={ALLEGATION}, mode="every")  # type: ignore[arg-type]


def test_quotes_come_back_when_the_record_has_them(tmp_path: Path) -> None:
    from rdflib import Graph

    from kg.rdf import record_to_graph
    from kg.store import EmbeddedStore
    from kg.vocab import Vocabulary

    store = EmbeddedStore(None)
    doc = record_to_graph(synthetic_record(), base=DATA, vocab=Vocabulary(Graph()))
    store.replace_graph(str(doc.graph_iri), doc.graph)
    run = store_runner(store)
    [(company, _)] = resolve(run, "Acme Mining")
    result = find_paths(run, company, target_types={ALLEGATION}, mode="all")
    [path] = [p for p in result.paths if len(p.edges) == 2]
    allegation_edge = path.edges[1]
    assert [ev.quote for ev in allegation_edge.evidence] == ["fictional allegation sentence"]
    assert allegation_edge.evidence[0].document == str(doc.graph_iri)
    assert (allegation_edge.evidence[0].start, allegation_edge.evidence[0].end) == (50, 120)


def test_cli_text_json_and_ambiguous_names(tmp_path_factory: pytest.TempPathFactory) -> None:
    import gc
    import json

    built = sample_store(tmp_path_factory)
    data_dir = str(built.path.parent)  # type: ignore[attr-defined]
    del built
    gc.collect()  # close the store: the CLI opens it itself
    cli = CliRunner()

    text = cli.invoke(
        app, ["paths", "Li-Ning", "--to-type", "Allegation", "--limit", "3", "--data-dir", data_dir]
    )
    assert text.exit_code == 0, text.output
    assert "1. Li-Ning Company Limited is implicated in" in text.output
    assert "evidence: " + DATA + "graph/al-oth-70-2020 (chars " in text.output
    assert "-[implicated actor, backward]->" in text.output

    as_json = cli.invoke(
        app,
        ["paths", LI_NING, "--to", "China", "--all", "--max-hops", "2", "-f", "json", "--data-dir", data_dir],
    )
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert body["source"] == LI_NING and body["complete"] is True
    assert all(p["nodes"][-1]["iri"] == CHINA for p in body["paths"])
    assert {"nodes", "edges", "sentence"} <= set(body["paths"][0])

    ambiguous = cli.invoke(app, ["paths", "a", "--to-type", "Norm", "--data-dir", data_dir])
    assert ambiguous.exit_code == 2
    assert "names" in ambiguous.output and "Li-Ning Company Limited" not in ambiguous.output
    del ambiguous  # its traceback holds the store open in this process
    gc.collect()

    unknown = cli.invoke(app, ["paths", DATA + "company/nobody", "--to-type", "Norm", "--data-dir", data_dir])
    assert unknown.exit_code == 2
    assert "not in the graph" in unknown.output


# -- at scale: hubs are reached, not crossed -------------------------------------------------

CONCEPT_TYPES = {
    "http://www.w3.org/2004/02/skos/core#Concept",
    KG + "HumanRightsIssue",
    KG + "AffectedGroup",
    KG + "Sector",
    KG + "Mandate",
    KG + "Norm",
    KG + "GuidingPrinciple",
    KG + "Instrument",
    KG + "Resolution",
}


def _crossed(result: Any) -> set[str]:
    return {n.iri for p in result.paths for n in p.nodes[1:-1]}


def test_vocabulary_concepts_end_paths_but_are_not_crossed(run: Any) -> None:
    default = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=10_000)
    crossing = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=10_000, max_degree=0)
    assert default.complete and crossing.complete
    wg_business = "https://w3id.org/kg-spcomm/vocab/mandate/wg-business"
    # "Both letters were sent by the Working Group" classifies them alike; it does not connect
    # Li-Ning to the other letter's allegations. Such paths come back only when asked.
    assert wg_business in _crossed(crossing)
    assert wg_business not in _crossed(default)
    for path in default.paths:
        for node in path.nodes[1:-1]:
            assert not set(node.types) & CONCEPT_TYPES, f"{path.sentence} crosses {node.label}"
    assert default.total < crossing.total
    # Concepts can still be targets, by IRI or by type; they are then reported as hubs on the way.
    mandates = find_paths(run, LI_NING, targets={wg_business}, max_hops=2)
    assert [[n.iri for n in p.nodes] for p in mandates.paths] == [[LI_NING, COMM, wg_business]]
    norms = find_paths(run, LI_NING, target_types={KG + "Norm"}, max_hops=4, mode="all", limit=10_000)
    assert wg_business in norms.hubs
    assert norms.paths and not any(set(n.types) & CONCEPT_TYPES for p in norms.paths for n in p.nodes[1:-1])


def test_nodes_above_max_degree_are_hubs(run: Any) -> None:
    # In the sample China has only a handful of facts; with a low bound it is treated as a hub.
    wide = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=10_000)
    narrow = find_paths(run, LI_NING, target_types={ALLEGATION}, mode="all", limit=10_000, max_degree=3)
    assert CHINA in _crossed(wide)
    assert CHINA not in _crossed(narrow) and CHINA in narrow.hubs
    assert narrow.total < wide.total
    # The source itself is always expanded, whatever its degree.
    assert find_paths(run, CHINA, target_types={ALLEGATION}, max_degree=1).paths
    with pytest.raises(PathError, match="max degree"):
        find_paths(run, LI_NING, target_types={ALLEGATION}, max_degree=-1)


def test_a_listing_from_an_imported_list_is_a_hop_with_its_provenance(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import datetime as dt

    from kg.ftm import import_ftm

    store = sample_store(tmp_path_factory)
    fixture = Path(__file__).parent / "ftm" / "fictional-list.ftm.json"
    imported = import_ftm(
        store, fixture, "Fictional Entity List", imported_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    )
    run = store_runner(store)
    result = find_paths(run, COMM, target_types={KG + "Listing"}, max_hops=3)
    assert result.paths, "the letter's recipient is on the list: there is a path to the listing"
    path = result.paths[0]
    assert [n.iri for n in path.nodes[:2]] == [COMM, LI_NING]
    hop = path.edges[-1]
    assert (hop.property, hop.direction) == (KG + "listedOn", "forward")
    assert [e.document for e in hop.evidence] == [imported.graph]
    assert (
        hop.evidence[0].quote == "listed on the Fictional Entity List since 2023-06-09 (entry fict-li-ning)"
    )
    assert path.sentence.startswith(
        "AL OTH 70/2020 was addressed to Li-Ning Company Limited, which is listed as "
    )


def test_a_hop_to_one_cited_norm_shows_only_the_sentence_citing_it() -> None:
    """A letter citing two Guiding Principles in two sentences: each norm's hop quotes its own."""
    from rdflib import Graph

    from kg.rdf import record_to_graph
    from kg.record import Actor, Evidence, NormCitation
    from kg.store import EmbeddedStore
    from kg.vocab import Vocabulary

    record = synthetic_record()
    gp = "https://w3id.org/kg-spcomm/vocab/guiding-principle/"
    record.norms_cited = [
        NormCitation(
            kind="guiding_principle",
            id=str(n),
            label=f"Guiding Principle {n}",
            iri=f"{gp}{n}",
            evidence=Evidence(start=start, end=start + 20, quote=f"sentence citing GP {n}"),
        )
        for n, start in ((13, 300), (15, 340))
    ]
    record.also_sent_to = [
        Actor(
            kind="state", name=name, country=code, evidence=Evidence(start=start, end=start + 9, quote=name)
        )
        for name, code, start in (("Zambia", "ZMB", 400), ("Malawi", "MWI", 420))
    ]
    store = EmbeddedStore(None)
    doc = record_to_graph(record, base=DATA, vocab=Vocabulary(Graph()))
    store.replace_graph(str(doc.graph_iri), doc.graph)
    run = store_runner(store)
    [(company, _)] = resolve(run, "Acme Mining")
    for target, quote in ((f"{gp}13", "sentence citing GP 13"), (f"{gp}15", "sentence citing GP 15")):
        [path] = find_paths(run, company, targets={target}).paths
        assert [ev.quote for ev in path.edges[-1].evidence] == [quote]
    state = find_paths(run, company, targets={"https://w3id.org/kg-spcomm/vocab/country/MWI"}).paths[0]
    assert [ev.quote for ev in state.edges[-1].evidence] == ["Malawi"]
