"""Exports for other tools: CSV tables with IRIs and linked labels, JSON-LD with kg's context, DCAT/VoID."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF, VOID
from typer.testing import CliRunner

from kg.cli import app
from kg.config import Settings
from kg.export import export_store
from kg.exports import TABLES, build_context, context_file, export_csv, export_dcat, published_context
from kg.ingest import ingest_record
from kg.rdf import record_to_graph
from kg.store import EmbeddedStore
from kg.vocab import load_vocabulary
from support import sample_store, synthetic_record

LI_NING = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"
AL_OTH_70 = "https://w3id.org/kg-spcomm/data/communication/al-oth-70-2020"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return sample_store(tmp_path_factory)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def tables(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("csv")
    files = export_csv(store, folder)
    assert [f.name for f in files] == [f"{t.name}.csv" for t in TABLES]
    return {f.stem: list(csv.DictReader(io.StringIO(f.read_text(encoding="utf-8")))) for f in files}


def test_there_is_one_csv_per_entity_type(tables: dict[str, list[dict[str, str]]]) -> None:
    assert set(tables) == {
        "communications",
        "companies",
        "states",
        "mandates",
        "mandate_holders",
        "allegations",
        "questions",
        "norms",
    }
    for name, rows in tables.items():
        assert rows, name
        assert all(row["iri"].startswith("https://") for row in rows), name


def test_companies_csv_has_li_ning_with_its_iri_and_letter(tables: dict[str, list[dict[str, str]]]) -> None:
    rows = {row["iri"]: row for row in tables["companies"]}
    li_ning = rows[LI_NING]
    assert li_ning["label"] == "Li-Ning Company Limited"
    assert li_ning["communication_iris"] == AL_OTH_70
    assert li_ning["communications_received"] == "AL OTH 70/2020"


def test_allegations_csv_links_to_the_letter_and_issue_with_iris_and_labels(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    rows = tables["allegations"]
    assert list(rows[0])[:7] == [
        "iri",
        "label",
        "communication_iri",
        "communication_reference",
        "issue_iri",
        "issue_label",
        "affected_group_iris",
    ]
    forced = {row["iri"]: row for row in rows}[f"{AL_OTH_70}/allegation/forced-labour"]
    assert forced["communication_iri"] == AL_OTH_70
    assert forced["communication_reference"] == "AL OTH 70/2020"
    assert forced["issue_iri"] == "https://w3id.org/kg-spcomm/vocab/issue/forced-labour"
    assert forced["issue_label"] == "Forced labour"
    groups, group_iris = forced["affected_groups"].split("; "), forced["affected_group_iris"].split("; ")
    assert len(groups) == len(group_iris) >= 1
    assert "Uyghurs" in groups
    assert group_iris[groups.index("Uyghurs")] == "https://w3id.org/kg-spcomm/vocab/group/uyghurs"


def test_communications_and_states_csv(tables: dict[str, list[dict[str, str]]]) -> None:
    letters = {row["reference"]: row for row in tables["communications"]}
    assert "AL OTH 70/2020" in letters
    assert letters["AL OTH 70/2020"]["recipient_iri"] == LI_NING
    assert len(letters) == 5  # letters the store holds, not the stubs of letters they mention
    states = {row["iso_alpha3"]: row for row in tables["states"]}
    assert "CHN" in states and states["CHN"]["iso_alpha2"] == "CN"
    assert len(states) < 100  # States the letters name, not the whole vocabulary


def test_kg_export_csv_needs_a_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--format", "csv", "--data-dir", str(tmp_path / "db")])
    assert result.exit_code == 2
    assert "--output" in result.output
    result = runner.invoke(
        app, ["export", "--format", "csv", "-o", str(tmp_path / "out"), "--data-dir", str(tmp_path / "db")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "companies.csv").read_text(encoding="utf-8").startswith("iri,label,")


# -- JSON-LD ---------------------------------------------------------------------------------


def test_published_context_agrees_with_the_ontology() -> None:
    """Every term the published file maps is mapped the same way the ontology says (regenerate with
    python -c 'import json; from kg.exports import build_context; print(json.dumps(build_context(),
    indent=2))' > schema/context.jsonld)."""
    published = published_context()["@context"]
    built = build_context()["@context"]
    wrong = {k: v for k, v in published.items() if built.get(k) != v}
    assert not wrong, f"schema/context.jsonld disagrees with the ontology: {wrong}"
    for term in ("Company", "addressedTo", "listedOn", "listingDate"):
        assert term in published
    assert published["addressedTo"] == {"@id": "kg:addressedTo", "@type": "@id"}
    assert context_file().name == "context.jsonld"


def small_store(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(None)
    doc = record_to_graph(synthetic_record(), base=Settings().base_iri, vocab=load_vocabulary())
    store.replace_graph(str(doc.graph_iri), doc.graph)
    return store


def test_jsonld_uses_the_published_context_and_round_trips(tmp_path: Path) -> None:
    store = small_store(tmp_path)
    data = export_store(store, "jsonld")
    document = json.loads(data)
    assert document["@context"] == published_context()["@context"]
    text = data.decode("utf-8")
    assert '"addressedTo"' in text and '"@type": "Company"' in text  # compacted, not expanded
    back = Dataset()
    back.parse(data=text, format="json-ld")  # the context is inline: nothing is fetched
    union = Graph()
    for s, p, o, _ in back.quads((None, None, None, None)):
        union.add((s, p, o))
    expected = Graph().parse(data=export_store(store, "turtle").decode("utf-8"), format="turtle")
    assert len(union) == len(expected)
    assert isomorphic(union, expected)


def test_jsonld_of_the_sample_keeps_every_triple(store: EmbeddedStore) -> None:
    back = Dataset()
    back.parse(data=export_store(store, "jsonld").decode("utf-8"), format="json-ld")
    quads = list(back.quads((None, None, None, None)))
    assert len(quads) == len(store)
    assert {str(g) for *_, g in quads} == set(store.graph_names())  # every triple stays in its graph


# -- DCAT / VoID -----------------------------------------------------------------------------


def test_dcat_describes_the_dataset_with_distributions_and_partitions(store: EmbeddedStore) -> None:
    g = Graph().parse(data=export_dcat(store).decode("utf-8"), format="turtle")
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1
    dataset = datasets[0]
    assert (dataset, RDF.type, VOID.Dataset) in g
    formats = {str(d).rsplit("/", 1)[-1] for d in g.objects(dataset, DCAT.distribution)}
    assert {"nquads", "trig", "turtle", "jsonld", "ftm", "csv"} <= formats
    assert int(g.value(dataset, VOID.triples)) == len(store)
    assert int(g.value(dataset, VOID.entities)) > 0
    classes = {
        g.value(p, VOID["class"]): int(g.value(p, VOID.entities))
        for p in g.objects(dataset, VOID.classPartition)
    }
    assert classes[URIRef("https://w3id.org/kg-spcomm/ontology#Company")] == 2
    assert list(g.objects(dataset, VOID.propertyPartition))
    for prop in ("title", "description", "license", "issued", "modified"):
        assert g.value(dataset, URIRef(f"http://purl.org/dc/terms/{prop}")) is not None, prop


def test_kg_export_dcat_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    store = EmbeddedStore(Settings(data_dir=data_dir).store_dir)
    assert ingest_record(synthetic_record(), store, Settings(data_dir=data_dir), source="fictional").ok
    del store
    result = CliRunner().invoke(app, ["export", "--format", "dcat", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    g = Graph().parse(data=result.output, format="turtle")
    assert list(g.subjects(RDF.type, DCAT.Dataset))
