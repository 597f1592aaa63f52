"""Exports for the tools users already have: CSV tables, JSON-LD with a published context, DCAT/VoID.

CSV: spreadsheets and Uwazi-style tools want one table per kind of thing, with the IRI of
every row and the IRIs *and* labels of the things it links to, so a table can be joined
with another (or with the graph) without guessing from names. JSON-LD: compacted with the
context in ``schema/context.jsonld``, which is generated from the ontology and passed as a
dict, so no remote context is ever fetched. DCAT/VoID: a description of the dataset that
catalogues and SPARQL editors read (distributions, counts, class and property partitions).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID

from kg import resources
from kg.config import DEFAULT_BASE_IRI, ONTOLOGY_IRI, ONTOLOGY_NS
from kg.errors import KgError
from kg.store import EmbeddedStore

KG = Namespace(ONTOLOGY_NS)
_SEP = "; "
_PREFIXES = f"""PREFIX kg: <{ONTOLOGY_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
"""
_LABEL = "rdfs:label|skos:prefLabel|foaf:name|kg:reference"


# -- CSV -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A linked thing (``iri_header`` and ``label_header`` columns) or, without iri_header, a value.

    ``path`` is a SPARQL property path from the row's ?item to the linked thing or value.
    """

    label_header: str
    path: str
    iri_header: str | None = None
    label_path: str = _LABEL


@dataclass(frozen=True)
class Table:
    name: str
    select: str  # a pattern binding ?item
    columns: tuple[Column, ...]


_IN_LETTERS = "FILTER EXISTS { GRAPH ?g { ?g a kg:DocumentGraph . ?anything ?link ?item } }"

TABLES: tuple[Table, ...] = (
    Table(
        "communications",
        "?item a kg:Communication ; kg:reference ?any . FILTER EXISTS { ?item kg:sentByMandate ?m }",
        (
            Column("reference", "kg:reference"),
            Column("type", "kg:referenceType"),
            Column("date_sent", "kg:dateSent"),
            Column("publication_date", "kg:publicationDate"),
            Column("ohchr_page", "foaf:page"),
            Column("recipient", "kg:addressedTo", "recipient_iri"),
            Column("also_sent_to", "kg:alsoSentTo", "also_sent_to_iris"),
            Column("mandates", "kg:sentByMandate", "mandate_iris"),
            Column("mandate_holders", "kg:signedBy", "mandate_holder_iris"),
            Column("issues", "kg:raisesAllegation/kg:concernsIssue", "issue_iris"),
            Column("allegations", "kg:raisesAllegation", "allegation_iris"),
            Column("norms", "kg:citesNorm", "norm_iris"),
            Column("resolutions", "kg:citesResolution", "resolution_iris"),
            Column("replies", "kg:hasReply/kg:replyDate"),
        ),
    ),
    Table(
        "companies",
        "?item a kg:Company",
        (
            Column("label", "rdfs:label"),
            Column("country", "kg:countryOf", "country_iri"),
            Column("communications_received", "^kg:addressedTo", "communication_iris"),
            Column("copied_on", "^kg:alsoSentTo", "copied_on_iris"),
            Column("implicated_in", "^kg:implicatedActor|^kg:allegedPerpetrator", "implicated_in_iris"),
            Column("listed_on", "kg:listedOn", "listing_iris"),
            Column("listed_since", "kg:listedOn/kg:listingDate"),
        ),
    ),
    Table(
        "states",
        f"?item a kg:State . {_IN_LETTERS}",
        (
            Column("label", "rdfs:label"),
            Column("iso_alpha2", "kg:isoAlpha2"),
            Column("iso_alpha3", "kg:isoAlpha3"),
            Column("communications_received", "^kg:addressedTo", "communication_iris"),
            Column("copied_on", "^kg:alsoSentTo", "copied_on_iris"),
            Column("alleged_perpetrator_in", "^kg:allegedPerpetrator", "alleged_perpetrator_in_iris"),
        ),
    ),
    Table(
        "mandates",
        "?item a kg:Mandate . FILTER EXISTS { ?c kg:sentByMandate ?item }",
        (
            Column("label", "rdfs:label|skos:prefLabel"),
            Column("communications_sent", "^kg:sentByMandate", "communication_iris"),
            Column("mandate_holders", "^org:postIn/org:heldBy", "mandate_holder_iris"),
        ),
    ),
    Table(
        "mandate_holders",
        "?item a kg:MandateHolder",
        (
            Column("label", "rdfs:label|foaf:name"),
            Column("posts", "^org:heldBy", "post_iris"),
            Column("mandates", "^org:heldBy/org:postIn", "mandate_iris"),
            Column("communications_signed", "^kg:signedBy", "communication_iris"),
        ),
    ),
    Table(
        "allegations",
        "?item a kg:Allegation",
        (
            Column("label", "rdfs:label"),
            Column("communication_reference", "^kg:raisesAllegation", "communication_iri"),
            Column("issue_label", "kg:concernsIssue", "issue_iri"),
            Column("affected_groups", "kg:affectsGroup", "affected_group_iris"),
            Column("places", "kg:occurredIn", "place_iris"),
            Column("sectors", "kg:inSector", "sector_iris"),
            Column("policies", "kg:underPolicy", "policy_iris"),
            Column("alleged_perpetrators", "kg:allegedPerpetrator", "alleged_perpetrator_iris"),
            Column("implicated_actors", "kg:implicatedActor", "implicated_actor_iris"),
            Column("period_start", "kg:periodStart"),
            Column("period_end", "kg:periodEnd"),
        ),
    ),
    Table(
        "questions",
        "?item a kg:Question",
        (
            Column("label", "rdfs:label"),
            Column("communication_reference", "^kg:asksQuestion", "communication_iri"),
            Column("number", "kg:questionNumber"),
            Column("text", "kg:questionText"),
            Column("topics", "kg:questionTopic", "topic_iris"),
        ),
    ),
    Table(
        "norms",
        "?c kg:citesNorm|kg:citesResolution ?item",
        (
            Column("label", "rdfs:label|skos:prefLabel"),
            Column("document_symbol", "kg:documentSymbol"),
            Column("cited_by", "^kg:citesNorm|^kg:citesResolution", "communication_iris"),
        ),
    ),
)


def _select(store: EmbeddedStore, sparql: str) -> list[dict[str, str]]:
    answer = store.query(_PREFIXES + sparql, union=True)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    rows = []
    for solution in answer:
        row = {}
        for n in names:
            term = solution[n]
            if term is None:
                continue
            if isinstance(term, ox.Literal) and term.language not in (None, "", "en"):
                continue  # one language in a cell: English (or untagged) labels
            row[n] = str(term.value)
        rows.append(row)
    return rows


def table_rows(store: EmbeddedStore, table: Table) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of one table, sorted by IRI; multi-valued cells joined with '; '."""
    items = sorted({r["item"] for r in _select(store, f"SELECT DISTINCT ?item WHERE {{ {table.select} }}")})
    header = ["iri"]
    rows: dict[str, dict[str, str]] = {item: {"iri": item} for item in items}
    for column in table.columns:
        if column.iri_header:
            header += [column.iri_header, column.label_header]
            sparql = (
                f"SELECT DISTINCT ?item ?v ?label WHERE {{ {{ {table.select} }} ?item {column.path} ?v . "
                f"OPTIONAL {{ ?v {column.label_path} ?label }} }}"
            )
        else:
            header.append(column.label_header)
            sparql = f"SELECT DISTINCT ?item ?v WHERE {{ {{ {table.select} }} ?item {column.path} ?v }}"
        linked: dict[str, dict[str, str]] = defaultdict(dict)
        for r in _select(store, sparql):
            if "v" in r and r["item"] in rows:
                current = linked[r["item"]].get(r["v"])
                label = r.get("label", "")
                # Several labels: keep the shortest (then first in order), so a cell is stable.
                if current is None or (
                    label and (not current or (len(label), label) < (len(current), current))
                ):
                    linked[r["item"]][r["v"]] = label
        for item, values in linked.items():
            pairs = sorted(values.items(), key=lambda kv: (kv[1].lower(), kv[0]))
            if column.iri_header:
                rows[item][column.iri_header] = _SEP.join(iri for iri, _ in pairs)
                rows[item][column.label_header] = _SEP.join(label or iri for iri, label in pairs)
            else:
                rows[item][column.label_header] = _SEP.join(sorted(values))
    return header, [rows[i] for i in items]


def table_csv(store: EmbeddedStore, table: Table) -> str:
    header, rows = table_rows(store, table)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def export_csv(store: EmbeddedStore, folder: Path) -> list[Path]:
    """One CSV per entity type in ``folder`` (created if needed); returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise KgError(f"--output {folder} is a file; CSV export writes one file per table into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        path = folder / f"{table.name}.csv"
        path.write_text(table_csv(store, table), encoding="utf-8")
        written.append(path)
    return written


# -- JSON-LD ---------------------------------------------------------------------------------

CONTEXT_PREFIXES = {
    "kg": ONTOLOGY_NS,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": "http://www.w3.org/ns/org#",
    "foaf": str(FOAF),
    "schema": "https://schema.org/",
    "dcat": str(DCAT),
    "void": str(VOID),
}


def build_context() -> dict[str, Any]:
    """The JSON-LD context generated from the ontology: prefixes, then every kg term by local name.

    Object properties are coerced to IRIs ("@type": "@id") and datatype properties with an
    XSD range to that datatype, so compacted documents read as plain JSON; a value that does
    not fit a term's coercion keeps its full form, so nothing is lost.
    """
    ontology = Graph().parse(resources.ontology_file(), format="turtle")
    context: dict[str, Any] = dict(CONTEXT_PREFIXES)
    terms: dict[str, Any] = {}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in ontology.subjects(RDF.type, kind):
            iri = str(term)
            if not iri.startswith(ONTOLOGY_NS):
                continue
            name = iri.removeprefix(ONTOLOGY_NS)
            if kind == OWL.ObjectProperty:
                terms[name] = {"@id": f"kg:{name}", "@type": "@id"}
            elif kind == OWL.DatatypeProperty:
                ranges = [str(r) for r in ontology.objects(term, RDFS.range) if str(r).startswith(str(XSD))]
                if len(ranges) == 1 and not ranges[0].endswith("#string"):
                    terms[name] = {"@id": f"kg:{name}", "@type": f"xsd:{ranges[0].removeprefix(str(XSD))}"}
                else:
                    terms[name] = f"kg:{name}"
            else:
                terms[name] = f"kg:{name}"
    context.update(dict(sorted(terms.items())))
    return {"@context": context}


def context_file() -> Path:
    return resources.data_dir("schema") / "context.jsonld"


def published_context() -> dict[str, Any]:
    """The context as published in schema/context.jsonld (a test keeps it equal to build_context())."""
    return json.loads(context_file().read_text(encoding="utf-8"))


def store_dataset(store: EmbeddedStore) -> Dataset:
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_QUADS)
    dataset = Dataset()
    dataset.parse(data=buffer.getvalue().decode("utf-8"), format="nquads")
    return dataset


def export_jsonld(store: EmbeddedStore) -> bytes:
    """Every named graph as compacted JSON-LD; the context is the published one, given as a dict."""
    context = published_context()["@context"]
    text = store_dataset(store).serialize(format="json-ld", context=context, indent=1)
    return text.encode("utf-8")


# -- DCAT / VoID -----------------------------------------------------------------------------

_DISTRIBUTIONS = {
    "nquads": ("application/n-quads", "N-Quads: every named graph"),
    "trig": ("application/trig", "TriG: every named graph"),
    "turtle": ("text/turtle", "Turtle: the union of all graphs"),
    "jsonld": ("application/ld+json", "JSON-LD compacted with the kg context"),
    "ftm": ("application/json", "FollowTheMoney entities, one JSON object a line (Aleph, OpenSanctions)"),
    "csv": ("text/csv", "CSV, one table per entity type with IRIs and labels of linked entities"),
}


def _count(store: EmbeddedStore, sparql: str) -> int:
    rows = _select(store, sparql)
    return int(rows[0].get("n", 0)) if rows else 0


def export_dcat(store: EmbeddedStore, *, base_iri: str = DEFAULT_BASE_IRI) -> bytes:
    """A DCAT dataset with one distribution per export format, and VoID counts and partitions."""
    dataset = URIRef(f"{base_iri}dataset")
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("void", VOID), ("dcterms", DCTERMS), ("kg", KG), ("xsd", XSD)):
        g.bind(prefix, ns)
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, DCTERMS.title, Literal("kg: UN Special Procedures communications", lang="en")))
    g.add(
        (
            dataset,
            DCTERMS.description,
            Literal(
                "Communications of the UN Special Procedures (allegation letters, urgent appeals, other "
                "letters) as a knowledge graph: recipients, mandates, mandate holders, allegations, "
                "norms cited and questions, each fact with the text that evidences it.",
                lang="en",
            ),
        )
    )
    g.add((dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((dataset, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)))
    g.add((dataset, VOID.vocabulary, URIRef(ONTOLOGY_NS)))
    g.add((dataset, VOID.uriSpace, Literal(base_iri)))
    times = sorted(
        r["t"] for r in _select(store, "SELECT ?t WHERE { GRAPH ?g { ?g kg:ingestedAt ?t } }") if "t" in r
    )
    if times:
        g.add((dataset, DCTERMS.issued, Literal(times[0], datatype=XSD.dateTime)))
        g.add((dataset, DCTERMS.modified, Literal(times[-1], datatype=XSD.dateTime)))
    g.add((dataset, VOID.triples, Literal(len(store), datatype=XSD.integer)))
    entities = _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER isIRI(?s) }")
    g.add((dataset, VOID.entities, Literal(entities, datatype=XSD.integer)))
    documents = _count(store, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g a kg:DocumentGraph }")
    g.add((dataset, VOID.documents, Literal(documents, datatype=XSD.integer)))
    for fmt, (media, title) in _DISTRIBUTIONS.items():
        dist = URIRef(f"{dataset}/distribution/{fmt}")
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(title, lang="en")))
        g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add((dist, DCTERMS.description, Literal(f"made by: kg export --format {fmt}", lang="en")))
    classes = _select(
        store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER isIRI(?c) } GROUP BY ?c"
    )
    for row in sorted(classes, key=lambda r: r["c"]):
        part = URIRef(f"{dataset}/class/{_key(row['c'])}")
        g.add((dataset, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["c"])))
        g.add((part, VOID.entities, Literal(int(row["n"]), datatype=XSD.integer)))
    properties = _select(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
    for row in sorted(properties, key=lambda r: r["p"]):
        part = URIRef(f"{dataset}/property/{_key(row['p'])}")
        g.add((dataset, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["p"])))
        g.add((part, VOID.triples, Literal(int(row["n"]), datatype=XSD.integer)))
    return g.serialize(format="turtle").encode("utf-8")


def _key(iri: str) -> str:
    """A readable, unique key for a partition IRI: the prefix and local name where known."""
    for prefix, ns in CONTEXT_PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}-{iri.removeprefix(ns)}"
    return hashlib.sha1(iri.encode("utf-8")).hexdigest()[:16]
