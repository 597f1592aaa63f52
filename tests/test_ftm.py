"""FollowTheMoney out of kg (entities Aleph accepts) and into it (a list matched to companies by name)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from followthemoney import model
from typer.testing import CliRunner

from kg.cli import app
from kg.config import Settings
from kg.errors import KgError
from kg.ftm import entity_id, export_entities, import_ftm, list_graph_iri, normalise_name
from kg.ingest import ingest_record
from kg.store import EmbeddedStore
from support import sample_store, synthetic_record

FIXTURE = Path(__file__).parent / "ftm" / "fictional-list.ftm.json"
LIST = "Fictional Entity List"
KG = "https://w3id.org/kg-spcomm/ontology#"
PROV = "http://www.w3.org/ns/prov#"
LI_NING = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"
AL_OTH_70 = "https://w3id.org/kg-spcomm/data/communication/al-oth-70-2020"
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return sample_store(tmp_path_factory)  # type: ignore[return-value]


def triples(store: EmbeddedStore, graph_iri: str) -> set[tuple[str, str, str]]:
    return {(q.subject.value, q.predicate.value, q.object.value) for q in store.graph_triples(graph_iri)}


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("LI NING CO., LTD.", "li ning"),
        ("Li-Ning Company Limited", "li ning"),
        ("Blackstone Group L.P.", "blackstone group"),
        ("Acme Fictional Textiles Limited", "acme fictional textiles"),
        ("Société Générale S.A.", "societe generale"),
        ("Limited", "limited"),  # a name made only of legal-form words stays whole
        ("Li Ning Fitness Equipment Co., Ltd.", "li ning fitness equipment"),
    ],
)
def test_names_are_normalised_for_case_punctuation_and_legal_forms(name: str, key: str) -> None:
    assert normalise_name(name) == key


# -- import ----------------------------------------------------------------------------------


def test_import_stores_the_match_with_its_provenance_in_the_lists_graph(store: EmbeddedStore) -> None:
    result = import_ftm(store, FIXTURE, LIST, imported_at=WHEN)
    assert result.graph == "https://w3id.org/kg-spcomm/graph/import/fictional-entity-list"
    assert result.entities == 6
    assert [(m.company, m.matched_name, m.entity_id) for m in result.matches] == [
        (LI_NING, "LI NING CO., LTD.", "fict-li-ning")
    ]
    found = list(
        store.query(
            f"""SELECT ?listing ?name ?date ?id ?matched ?source ?time WHERE {{ GRAPH <{result.graph}> {{
                 <{LI_NING}> <{KG}listedOn> ?listing .
                 ?listing <{KG}listName> ?name ; <{KG}listingDate> ?date ; <{KG}listEntityId> ?id ;
                          <{KG}matchedName> ?matched ; <{PROV}wasDerivedFrom> ?source ;
                          <{PROV}generatedAtTime> ?time }} }}""",
            union=False,
        )
    )
    assert len(found) == 1
    row = found[0]
    assert row["name"].value == LIST
    assert row["date"].value == "2023-06-09"  # from the Sanction entity that points at the company
    assert row["id"].value == "fict-li-ning"
    assert row["matched"].value == "LI NING CO., LTD."
    assert row["source"].value == "urn:sha256:" + hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert row["time"].value in ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00")
    graph = triples(store, result.graph)
    assert (result.graph, f"{PROV}wasDerivedFrom", row["source"].value) in graph
    assert (result.graph, f"{KG}listName", LIST) in graph


def test_names_that_match_no_company_are_not_stored(store: EmbeddedStore) -> None:
    result = import_ftm(store, FIXTURE, LIST, imported_at=WHEN)
    text = " ".join(" ".join(t) for t in triples(store, result.graph))
    for absent in ("fict-li-ning-fitness", "fict-acme-textiles", "fict-person", "fict-org", "Blackstone"):
        assert absent not in text


def test_reimport_replaces_the_lists_graph_and_is_idempotent(store: EmbeddedStore) -> None:
    first = import_ftm(store, FIXTURE, LIST, imported_at=WHEN)
    before = triples(store, first.graph)
    again = import_ftm(store, FIXTURE, LIST, imported_at=WHEN)
    assert triples(store, again.graph) == before
    later = import_ftm(store, FIXTURE, LIST, imported_at=WHEN + dt.timedelta(days=1))
    changed = before ^ triples(store, later.graph)
    assert {p for _, p, _ in changed} == {f"{PROV}generatedAtTime"}
    listings = store.query(f"SELECT ?l WHERE {{ <{LI_NING}> <{KG}listedOn> ?l }}")
    assert len(list(listings)) == 1


def test_import_keeps_lists_apart_and_away_from_document_graphs(store: EmbeddedStore) -> None:
    other = import_ftm(store, FIXTURE, "Another Fictional List", imported_at=WHEN)
    assert other.graph == list_graph_iri("Another Fictional List")
    assert other.graph != list_graph_iri(LIST)
    documents = store.query(
        f"ASK {{ GRAPH ?g {{ ?g a <{KG}DocumentGraph> . <{LI_NING}> <{KG}listedOn> ?l }} }}", union=False
    )
    assert not bool(documents)
    assert store.remove_graph(other.graph)


def test_a_file_that_is_not_ftm_is_reported_with_its_line(tmp_path: Path, store: EmbeddedStore) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x", "schema": "Company", "properties": {}}\nnot json\n', encoding="utf-8")
    with pytest.raises(KgError, match=r"line 2"):
        import_ftm(store, bad, LIST)
    with pytest.raises(KgError, match="list-name"):
        import_ftm(store, FIXTURE, "  ")


def test_kg_import_ftm_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    store = EmbeddedStore(Settings(data_dir=data_dir).store_dir)
    record = synthetic_record("AL OTH 901/2024", company="Li-Ning Company Limited")
    assert ingest_record(record, store, Settings(data_dir=data_dir), source="fictional").ok
    del store
    runner = CliRunner()
    args = ["import", "ftm", str(FIXTURE), "--list-name", LIST, "--data-dir", str(data_dir)]
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Li-Ning Company Limited = 'LI NING CO., LTD.'" in result.output
    assert "6 entities read, 1 matched" in result.output
    missing = runner.invoke(app, ["import", "ftm", str(tmp_path / "nope.json"), "--data-dir", str(data_dir)])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output
    assert "Example: kg import ftm" in runner.invoke(app, ["import", "ftm", "--help"]).output


# -- export ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entities(store: EmbeddedStore) -> list[dict[str, Any]]:
    return export_entities(store)


def test_exported_entities_validate_against_the_followthemoney_model(entities: list[dict[str, Any]]) -> None:
    assert entities
    for entity in entities:
        schema = model.get(entity["schema"])
        assert schema is not None, entity
        assert set(entity["properties"]) <= set(schema.properties), entity
        assert set(schema.required) <= set(entity["properties"]), (entity, schema.required)
        schema.validate(entity)
        cleaned = model.get_proxy(entity, cleaned=False).to_dict()
        assert {k: sorted(v) for k, v in cleaned["properties"].items()} == {
            k: sorted(v) for k, v in entity["properties"].items()
        }
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))


def test_export_has_the_company_the_letter_and_the_links_between_them(
    entities: list[dict[str, Any]],
) -> None:
    by_id = {e["id"]: e for e in entities}
    company = by_id[entity_id(LI_NING)]
    assert company["schema"] == "Company"
    assert company["properties"]["name"] == ["Li-Ning Company Limited"]
    letter = by_id[entity_id(AL_OTH_70)]
    assert letter["schema"] == "Document"
    assert letter["properties"]["title"] == ["AL OTH 70/2020"]
    assert letter["properties"]["sourceUrl"] == [
        "https://spcommreports.ohchr.org/TmSearch/RelCom?code=OTH+70%2F2020"
    ]
    addressed = [
        e
        for e in entities
        if e["schema"] == "Documentation"
        and e["properties"]["entity"] == [company["id"]]
        and e["properties"]["document"] == [letter["id"]]
    ]
    assert [e["properties"]["role"] for e in addressed] == [["addressed to"]]
    assert addressed[0]["properties"]["date"] == ["2021-03-12"]
    assert addressed[0]["properties"]["publisher"]
    implicated = [
        e
        for e in entities
        if e["schema"] == "UnknownLink"
        and e["properties"]["subject"] == [company["id"]]
        and e["properties"]["object"] == [letter["id"]]
    ]
    roles = {r for e in implicated for r in e["properties"]["role"]}
    assert any("Forced labour" in r for r in roles), roles
    china = by_id[entity_id("https://w3id.org/kg-spcomm/vocab/country/CHN")]
    assert china["schema"] == "PublicBody"
    assert china["properties"]["jurisdiction"] == ["cn"]


def test_export_ids_are_stable(store: EmbeddedStore, entities: list[dict[str, Any]]) -> None:
    assert export_entities(store) == entities
    assert entity_id(LI_NING) == "kg-" + hashlib.sha1(LI_NING.encode()).hexdigest()[:20]


def test_kg_export_ftm_writes_json_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    store = EmbeddedStore(Settings(data_dir=data_dir).store_dir)
    record = synthetic_record("AL OTH 901/2024", company="Acme Mining Ltd")
    assert ingest_record(record, store, Settings(data_dir=data_dir), source="fictional").ok
    del store
    result = CliRunner().invoke(app, ["export", "--format", "ftm", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert {"Company", "Document", "Documentation", "Person", "PublicBody"} <= {e["schema"] for e in lines}


# -- the company page ------------------------------------------------------------------------


def test_company_page_says_where_the_company_is_listed(tmp_path_factory: pytest.TempPathFactory) -> None:
    from kg.server.app import create_app
    from kg.server.settings import ServerSettings

    store: EmbeddedStore = sample_store(tmp_path_factory)  # type: ignore[assignment]
    assert store.path is not None
    data_dir = store.path.parent
    import_ftm(store, FIXTURE, LIST, imported_at=WHEN)
    del store
    web = create_app(ServerSettings(store=Settings(data_dir=data_dir), workers=1))
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(web.router.lifespan_context(web)),
    ):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://kg.test")
        try:
            get = functools.partial(client.get, headers={"accept": "text/html"})
            page = portal.call(get, "/company/li-ning-company-limited")
            other = portal.call(get, "/company/blackstone-group-l-p")
            href = re.search(r'<a href="([^"]+)">' + re.escape(LIST) + "</a> since", page.text)
            assert href is not None, page.text
            listing = portal.call(get, html.unescape(href.group(1)))
        finally:
            portal.call(client.aclose)
    assert page.status_code == 200
    assert "Listed on the" in page.text
    assert f">{LIST}</a> since 9 June 2023" in page.text
    assert "LI NING CO., LTD." in page.text
    assert other.status_code == 200
    assert "Listed on the" not in other.text
    assert listing.status_code == 200  # the listing has its own page, with its provenance
    assert "fict-li-ning" in listing.text


def test_nested_opensanctions_entries_and_json_arrays_are_read(tmp_path: Path, store: EmbeddedStore) -> None:
    nested = {
        "id": "fict-nested",
        "schema": "Company",
        "properties": {
            "name": ["Li Ning Company Ltd"],
            "createdAt": ["2024-05-05"],
            "sanctions": [{"id": "s1", "schema": "Sanction", "properties": {"listingDate": ["2023-01-31"]}}],
        },
    }
    path = tmp_path / "nested.json"
    path.write_text(json.dumps([nested]), encoding="utf-8")
    result = import_ftm(store, path, "Nested Fictional List", imported_at=WHEN)
    assert [(m.company, m.listing_date) for m in result.matches] == [(LI_NING, "2023-01-31")]
    assert store.remove_graph(result.graph)
