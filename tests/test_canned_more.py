"""The canned queries added with the endpoint answer what users ask, with real rows from the sample graph."""

from __future__ import annotations

import pytest

from kg.canned import load_canned_queries
from kg.ingest import ensure_static_graphs
from kg.query import run_query
from kg.record import Allegation, ConceptRef, NormCitation, Place, Signatory
from kg.store import EmbeddedStore
from support import build_store, sample_store, synthetic_record

QUERIES = load_canned_queries()
V = "https://w3id.org/kg-spcomm/vocab/"
NEW = (
    "companies-by-issue",
    "norms-cited-with-allegations",
    "instruments-cited",
    "recipients-on-same-matter",
    "allegations-by-place",
    "allegations-by-actor",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return sample_store(tmp_path_factory)


def run(store, query_name, **params):
    return run_query(store, QUERIES[query_name].render(params)).values()


def test_there_are_at_least_sixteen_canned_queries():
    assert len(QUERIES) >= 16
    assert set(NEW) <= set(QUERIES)


def test_companies_linked_to_forced_labour(store):
    rows = run(store, "companies-by-issue", issue=V + "issue/forced-labour")
    li_ning = [r for r in rows if r["companyName"] == "Li-Ning Company Limited"]
    assert li_ning, rows
    assert li_ning[0]["references"] == "AL OTH 70/2020"
    assert "received the letter" in li_ning[0]["links"]
    assert "implicated in the allegation" in li_ning[0]["links"]


def test_companies_by_issue_includes_narrower_issues(store):
    """Forced labour is narrower than labour rights: Li-Ning is linked to labour rights through it too."""
    rows = run(store, "companies-by-issue", issue=V + "issue/labour-rights")
    assert {r["companyName"] for r in rows} == {"Li-Ning Company Limited"}
    every = run(store, "companies-by-issue")
    assert {r["companyName"] for r in every} >= {"Li-Ning Company Limited", "Blackstone Group L.P."}


def test_guiding_principle_13_is_cited_with_the_forced_labour_allegation(store):
    rows = run(
        store,
        "norms-cited-with-allegations",
        reference_filter="AL OTH 70/2020",
        norm_filter="Guiding Principle 13",
    )
    assert [r["normLabel"] for r in rows] == ["Guiding Principle 13"]
    assert rows[0]["normKind"] == "Guiding Principle"
    assert "Forced labour" in rows[0]["allegations"].split("; ")
    assert int(rows[0]["allegationCount"]) >= 1


def test_norms_cited_tell_treaties_from_principles(store):
    rows = run(store, "norms-cited-with-allegations", reference_filter="UA GBR 3/2019")
    kinds = {r["normLabel"]: r["normKind"] for r in rows}
    assert kinds["International Covenant on Civil and Political Rights"] == "treaty"
    by_abbreviation = run(store, "norms-cited-with-allegations", norm_filter="cat")
    assert {r["reference"] for r in by_abbreviation} == {"UA GBR 3/2019"}


def test_ua_gbr_3_2019_cites_cat_and_iccpr(store):
    rows = run(store, "instruments-cited")
    citing = {r["abbrev"]: r["references"].split(", ") for r in rows}
    assert "UA GBR 3/2019" in citing["CAT"]
    assert "UA GBR 3/2019" in citing["ICCPR"]
    [iccpr] = run(store, "instruments-cited", instrument="iccpr")
    assert iccpr["kind"] == "treaty" and iccpr["communications"] == "1"


def test_china_received_a_letter_on_the_same_matter_as_li_ning(store):
    rows = run(store, "recipients-on-same-matter", recipient_name="li-ning")
    china = {r["why"]: r for r in rows if r["reference"] == "AL OTH 70/2020" and r["otherLabel"] == "China"}
    assert set(china) == {
        "the letter says it was also written to",
        "received a letter the same day on the same issue",
    }
    assert all(r["otherKind"] == "State" and r["otherLetter"] == "AL CHN 18/2020" for r in china.values())
    states = {r["otherLabel"] for r in rows if r["otherKind"] == "State"}
    assert {"China", "Canada", "United Kingdom", "United States"} <= states
    # ... and from China's side, the company is among the recipients on the same matter.
    from_china = run(store, "recipients-on-same-matter", recipient_name="china")
    assert any(
        r["reference"] == "AL CHN 18/2020"
        and r["otherLabel"] == "Li-Ning Company Limited"
        and r["otherKind"] == "company"
        and r["otherLetter"] == "AL OTH 70/2020"
        for r in from_china
    )


def test_allegations_by_place(store):
    rows = {r["placeLabel"]: r for r in run(store, "allegations-by-place", iso3="chn")}
    xinjiang = rows["Xinjiang Uyghur Autonomous Region"]
    assert xinjiang["countryLabel"] == "China" and xinjiang["code"] == "CHN"
    assert xinjiang["references"] == "AL CHN 18/2020, AL OTH 70/2020"
    assert "Forced labour" in xinjiang["issues"] and "Uyghurs" in xinjiang["affectedGroups"]
    assert run(store, "allegations-by-place", iso3="zzz") == []


def test_who_is_alleged_to_be_responsible(store):
    rows = {(r["actorLabel"], r["role"]): r for r in run(store, "allegations-by-actor")}
    assert "Forced labour" in rows[("Li-Ning Company Limited", "implicated")]["issues"]
    assert "Forced labour" in rows[("China", "alleged perpetrator")]["issues"]


def test_a_signatory_for_no_mandate_gets_one_row_without_a_mandate(tmp_path):
    """A signer the letter ties to no mandate has no post or mandate: no names borrowed from elsewhere."""
    record = synthetic_record("AL OTH 902/2024")
    record.signatories = [Signatory(name="Zed Unattached")]
    store = EmbeddedStore(build_store(tmp_path, [record], with_sample=False) / "store")
    try:
        [row] = run(store, "mandate-holders", name="unattached")
    finally:
        store.close()
    assert row["holderName"] == "Zed Unattached" and row["signed"] == "1"
    assert row["postTitle"] is None and row["mandateLabel"] is None


@pytest.fixture(scope="module")
def partly_named(tmp_path_factory):
    """Letters where only some allegations on an issue, or at a place, name a group or a place.

    SPARQL makes GROUP_CONCAT an error for a group of rows where one value is unbound, and Oxigraph
    then gives no list at all: the lists below went missing while the letters named their entries.
    """
    torture = V + "issue/torture-and-ill-treatment"
    quarry = Place(name="Quarry Hills", country="ZMB")
    silent = synthetic_record("AL OTH 903/2024")
    silent.allegations = [
        Allegation(issue="torture and ill-treatment", issue_iri=torture),
        Allegation(issue="forced labour", issue_iri=V + "issue/forced-labour", locations=[quarry]),
    ]
    # The Convention as a whole, and one of its articles.
    silent.norms_cited = [
        NormCitation(kind="instrument", id="cat", label="Convention against Torture"),
        NormCitation(kind="article", id="cat#2", label="Article 2"),
    ]
    naming = synthetic_record("AL OTH 904/2024")
    workers = ConceptRef(label="Workers", iri=V + "group/workers")
    naming.allegations = [
        Allegation(
            issue="torture and ill-treatment",
            issue_iri=torture,
            affected_groups=[workers],
            locations=[quarry],
        )
    ]
    store = EmbeddedStore(
        build_store(tmp_path_factory.mktemp("partly"), [silent, naming], with_sample=False) / "store"
    )
    ensure_static_graphs(store)  # the vocabulary's names, which the sample would otherwise bring
    yield store
    store.close()


def test_an_issue_lists_the_group_and_place_one_of_its_allegations_names(partly_named):
    [torture] = [
        r for r in run(partly_named, "allegations-by-issue") if r["issueLabel"] == "Torture and ill-treatment"
    ]
    assert torture["allegations"] == "2" and torture["communications"] == "2"
    assert torture["affectedGroups"] == "Workers"
    assert torture["places"] == "Quarry Hills"
    # An issue none of whose allegations names a group still has no list.
    [forced] = [r for r in run(partly_named, "allegations-by-issue") if r["issueLabel"] == "Forced labour"]
    assert forced["affectedGroups"] is None and forced["places"] == "Quarry Hills"


def test_one_issue_asked_for_lists_the_groups_of_its_narrower_issues(partly_named):
    """Forced labour falls under labour rights: asked for labour rights, its place is listed."""
    [row] = run(partly_named, "allegations-by-issue", issue=V + "issue/labour-rights")
    assert row["allegations"] == "1" and row["places"] == "Quarry Hills" and row["affectedGroups"] is None


def test_a_place_lists_the_group_one_of_its_allegations_names(partly_named):
    [row] = [
        r for r in run(partly_named, "allegations-by-place", iso3="zmb") if r["placeLabel"] == "Quarry Hills"
    ]
    assert row["allegations"] == "2"
    assert row["affectedGroups"] == "Workers"
    assert set(row["issues"].split("; ")) == {"Torture and ill-treatment", "Forced labour"}


def test_an_instrument_cited_whole_and_by_article_lists_the_article(partly_named):
    [cat] = run(partly_named, "instruments-cited", instrument="cat")
    assert cat["communications"] == "1" and cat["articles"] == "2"
