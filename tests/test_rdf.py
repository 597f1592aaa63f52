"""Record -> RDF: deterministic IRIs, the facts a user queries, evidence on each fact."""

from __future__ import annotations

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF

from kg.rdf import record_to_graph
from kg.vocab import load_vocabulary
from support import V, synthetic_record

KG = Namespace("https://w3id.org/kg-spcomm/ontology#")
BASE = "https://x.test/"


def build(record=None, base=BASE):
    return record_to_graph(record or synthetic_record(), base=base, vocab=load_vocabulary())


def test_same_record_gives_the_same_triples():
    first, second = build(), build()
    assert first.digest == second.digest
    assert set(first.graph) == set(second.graph)


def test_iris_are_readable_and_follow_the_base():
    doc = build()
    assert str(doc.communication) == BASE + "communication/al-oth-901-2024"
    assert str(doc.graph_iri) == BASE + "graph/al-oth-901-2024"
    other = build(base="https://other.test/kg/")
    assert str(other.communication).startswith("https://other.test/kg/communication/")


def test_joint_letter_with_mandates_in_order_and_their_resolutions():
    g, c = build().graph, URIRef(BASE + "communication/al-oth-901-2024")
    assert (c, RDF.type, KG.AllegationLetter) in g
    assert (c, RDF.type, KG.JointCommunication) in g
    first = URIRef(f"{c}/sending/1")
    assert (first, KG.sendingMandate, URIRef(V + "mandate/wg-business")) in g
    assert (first, KG.pursuantTo, URIRef(V + "resolution/hrc-44-15")) in g
    assert (first, KG.listPosition, Literal(1)) in g


def test_company_recipient_allegation_and_evidence():
    g, c = build().graph, URIRef(BASE + "communication/al-oth-901-2024")
    company = URIRef(BASE + "company/acme-mining-ltd")
    assert (c, KG.addressedTo, company) in g
    assert (company, RDF.type, KG.Company) in g
    allegation = URIRef(f"{c}/allegation/forced-labour")
    assert (c, KG.raisesAllegation, allegation) in g
    assert (allegation, KG.concernsIssue, URIRef(V + "issue/forced-labour")) in g
    spans = list(g.subjects(KG.evidenceFor, allegation))
    assert spans, "the allegation has no evidence span"
    assert (spans[0], KG.quote, Literal("fictional allegation sentence")) in g
    assert (c, KG.citesNorm, URIRef(V + "guiding-principle/13")) in g
    assert (c, KG.alsoSentTo, URIRef(V + "country/ZMB")) in g


def test_signatory_holds_a_post_in_the_mandate():
    g = build().graph
    person = URIRef(BASE + "person/jane-example")
    post = URIRef(BASE + "post/wg-business/chair-rapporteur")
    assert (person, RDF.type, KG.MandateHolder) in g
    assert (post, URIRef("http://www.w3.org/ns/org#heldBy"), person) in g
    assert (post, URIRef("http://www.w3.org/ns/org#postIn"), URIRef(V + "mandate/wg-business")) in g
