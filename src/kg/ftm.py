"""FollowTheMoney (FtM): the format Aleph and OpenSanctions read, out of kg and into it.

Export: kg's actors and letters become FtM entities (JSON lines), and the relations between
them become FtM's interval entities (``Documentation``, ``UnknownLink``, ``Membership``), the
way FtM models relationships: as entities with dates and provenance. Every entity id is
derived from the kg IRI (``kg-`` + SHA-1), so exporting twice gives the same ids and Aleph
merges rather than duplicates.

Import: an FtM list (for example OpenSanctions' export of the US UFLPA entity list) is
matched to the companies in the graph by normalised name only (case, punctuation and
legal-form suffixes removed; no fuzzy guessing), and the matches are stored in the list's
own named graph with their provenance, replaced as a whole on re-import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from kg import iris
from kg.config import GRAPH_NS, ONTOLOGY_NS
from kg.errors import KgError
from kg.store import EmbeddedStore

KG = Namespace(ONTOLOGY_NS)
PUBLISHER = "kg: UN Special Procedures communications"

_PREFIXES = f"""PREFIX kg: <{ONTOLOGY_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
"""


def entity_id(*parts: str) -> str:
    """A stable FtM id from one kg IRI (an entity) or several strings (a relation between entities)."""
    return "kg-" + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:20]


def _rows(store: EmbeddedStore, sparql: str) -> list[dict[str, str]]:
    answer = store.query(_PREFIXES + sparql, union=True)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    return [{n: str(s[n].value) for n in names if s[n] is not None} for s in answer]


# -- export ----------------------------------------------------------------------------------


@dataclass
class _Entity:
    """An FtM entity being assembled; properties keep insertion order and drop duplicates."""

    id: str
    schema: str
    properties: dict[str, list[str]] = field(default_factory=dict)

    def add(self, prop: str, value: str | None) -> None:
        if value:
            values = self.properties.setdefault(prop, [])
            if value not in values:
                values.append(value)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "schema": self.schema, "properties": self.properties}


class _Export:
    """Collects entities by id so a thing named in several letters becomes one entity."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.entities: dict[str, _Entity] = {}

    def entity(self, iri_or_key: str, schema: str, *parts: str) -> _Entity:
        eid = entity_id(iri_or_key, *parts)
        if eid not in self.entities:
            self.entities[eid] = _Entity(eid, schema)
        return self.entities[eid]

    def provenance(self, entity: _Entity, page: str | None, date: str | None = None) -> None:
        entity.add("sourceUrl", page)
        entity.add("publisher", PUBLISHER)
        if date and "date" in _model_props(entity.schema):
            entity.add("date", date)

    def letters(self) -> dict[str, dict[str, str]]:
        rows = _rows(
            self.store,
            """SELECT ?c ?ref ?date ?pub ?page WHERE {
                 ?c a kg:Communication ; kg:reference ?ref .
                 FILTER EXISTS { ?c kg:sentByMandate|kg:addressedTo|kg:dateSent ?any }
                 OPTIONAL { ?c kg:dateSent ?date } OPTIONAL { ?c kg:publicationDate ?pub }
                 OPTIONAL { ?c foaf:page ?page } }""",
        )
        letters: dict[str, dict[str, str]] = {}
        for row in rows:
            letters.setdefault(row["c"], row)
        for c, row in letters.items():
            doc = self.entity(c, "Document")
            doc.add("title", row["ref"])
            doc.add("fileName", row["ref"])
            doc.add("date", row.get("date"))
            doc.add("publishedAt", row.get("pub"))
            doc.add("publisherUrl", c)
            self.provenance(doc, row.get("page"))
        for row in _rows(
            self.store,
            """SELECT DISTINCT ?c ?label WHERE {
                 ?c kg:raisesAllegation/kg:concernsIssue ?i . ?i skos:prefLabel|rdfs:label ?label
                 FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }""",
        ):
            if row["c"] in letters:
                self.entity(row["c"], "Document").add("keywords", row["label"])
        return letters

    def actors(self, letters: dict[str, dict[str, str]]) -> None:
        """Companies, States, organisations, mandates and mandate holders that the letters name."""
        rows = _rows(
            self.store,
            """SELECT ?c ?role ?x ?type ?label ?alpha2 WHERE {
                 VALUES (?p ?role) { (kg:addressedTo "addressed to") (kg:alsoSentTo "also sent to")
                                     (kg:sentByMandate "sent by") (kg:signedBy "signed by") }
                 ?c ?p ?x .
                 OPTIONAL { ?x a ?type .
                   VALUES ?type { kg:Company kg:State kg:InternationalOrganisation kg:OtherNonStateActor
                                  kg:Mandate kg:MandateHolder } }
                 OPTIONAL { ?x rdfs:label|skos:prefLabel|foaf:name ?label
                            FILTER(lang(?label) = "" || langMatches(lang(?label), "en")) }
                 OPTIONAL { ?x kg:isoAlpha2 ?alpha2 } }""",
        )
        for row in rows:
            c, x = row["c"], row["x"]
            if c not in letters:
                continue
            # Without the vocabularies in the store, the relation tells what the thing is.
            fallback = {"sent by": "Mandate", "signed by": "MandateHolder"}.get(row["role"])
            if "/vocab/country/" in x:
                fallback = "State"
            cls = row.get("type") or (ONTOLOGY_NS + fallback if fallback else ONTOLOGY_NS + "Actor")
            entity = self._actor(x, cls, row.get("label"), row.get("alpha2"))
            letter = letters[c]
            self.provenance(entity, letter.get("page"))
            role = row["role"]
            link = self.entity(c, "Documentation", role, x)
            link.add("document", entity_id(c))
            link.add("entity", entity.id)
            link.add("role", role)
            link.add("summary", f"{letter['ref']} {role} {row.get('label') or x}")
            self.provenance(link, letter.get("page"), letter.get("date"))
        self._company_countries()
        self._wikidata_ids()

    def _wikidata_ids(self) -> None:
        """Accepted Wikidata links (kg link) become FtM's wikidataId, which Aleph uses to join."""
        for row in _rows(
            self.store,
            """SELECT ?x ?item WHERE { ?x <http://www.w3.org/2004/02/skos/core#exactMatch>
                 |<http://www.w3.org/2002/07/owl#sameAs> ?item
                 FILTER(STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q")) }""",
        ):
            entity = self.entities.get(entity_id(row["x"]))
            if entity is not None and "wikidataId" in _model_props(entity.schema):
                entity.add("wikidataId", row["item"].rsplit("/", 1)[-1])

    def _actor(self, iri: str, cls: str, label: str | None, alpha2: str | None) -> _Entity:
        local = cls.removeprefix(ONTOLOGY_NS)
        schema = {
            "Company": "Company",
            "State": "PublicBody",
            "Mandate": "PublicBody",
            "MandateHolder": "Person",
        }.get(local, "Organization")
        entity = self.entity(iri, schema)
        name = label or iri.rsplit("/", 1)[-1]
        entity.add("name", f"Government of {name}" if local == "State" else name)
        entity.add("publisherUrl", iri)
        if local == "State" and alpha2:
            entity.add("jurisdiction", alpha2.lower())
            entity.add("country", alpha2.lower())
        if local == "Mandate":
            entity.add("description", "UN Human Rights Council Special Procedures mandate")
        return entity

    def _company_countries(self) -> None:
        for row in _rows(
            self.store,
            """SELECT ?x ?alpha2 WHERE { ?x a ?t ; kg:countryOf/kg:isoAlpha2 ?alpha2
                 VALUES ?t { kg:Company kg:InternationalOrganisation kg:OtherNonStateActor } }""",
        ):
            if (entity := self.entities.get(entity_id(row["x"]))) is not None:
                entity.add("country", row["alpha2"].lower())
                if entity.schema == "Company":
                    entity.add("jurisdiction", row["alpha2"].lower())

    def allegations(self, letters: dict[str, dict[str, str]]) -> None:
        """A company (or other actor) named as responsible or involved: an UnknownLink to the letter."""
        for row in _rows(
            self.store,
            """SELECT ?c ?a ?x ?role ?issue WHERE {
                 VALUES (?p ?role) { (kg:allegedPerpetrator "alleged perpetrator")
                                     (kg:implicatedActor "implicated") }
                 ?c kg:raisesAllegation ?a . ?a ?p ?x .
                 OPTIONAL { ?a kg:concernsIssue/(skos:prefLabel|rdfs:label) ?issue
                            FILTER(lang(?issue) = "" || langMatches(lang(?issue), "en")) } }""",
        ):
            c, x = row["c"], row["x"]
            if c not in letters or (actor := self.entities.get(entity_id(x))) is None:
                continue
            letter = letters[c]
            role = f"{row['role']} in an allegation of {row['issue']}" if row.get("issue") else row["role"]
            link = self.entity(row["a"], "UnknownLink", row["role"], x)
            link.add("subject", actor.id)
            link.add("object", entity_id(c))
            link.add("role", role)
            link.add("publisherUrl", row["a"])
            self.provenance(link, letter.get("page"), letter.get("date"))

    def memberships(self) -> None:
        """Who held which mandate when signing: Membership(member=person, organization=mandate)."""
        for row in _rows(
            self.store,
            """SELECT ?post ?person ?mandate ?title ?page ?date WHERE {
                 ?post a kg:MandatePost ; org:postIn ?mandate ; org:heldBy ?person .
                 OPTIONAL { ?post kg:postTitle ?title }
                 OPTIONAL { ?c kg:hasSignature/kg:signedAsPost ?post .
                            OPTIONAL { ?c foaf:page ?page } OPTIONAL { ?c kg:dateSent ?date } } }
               ORDER BY ?date""",
        ):
            person, mandate = (
                self.entities.get(entity_id(row["person"])),
                self.entities.get(entity_id(row["mandate"])),
            )
            if person is None or mandate is None:
                continue
            link = self.entity(row["post"], "Membership", row["person"])
            link.add("member", person.id)
            link.add("organization", mandate.id)
            link.add("role", row.get("title"))
            link.add("publisherUrl", row["post"])
            # The letters signed in this post are the evidence, and their dates the moments it is seen.
            self.provenance(link, row.get("page"), row.get("date"))


_PROPS_CACHE: dict[str, set[str]] = {}


def _ftm_model() -> Any:
    """followthemoney is an optional extra: it builds PyICU from source, which a plain install avoids."""
    try:
        from followthemoney import model
    except ImportError as exc:
        raise KgError(
            "FollowTheMoney export and import need the followthemoney package: pip install 'kg[ftm]' "
            "(it builds PyICU, so first: apt-get install libicu-dev pkg-config g++)"
        ) from exc
    return model


def _model_props(schema: str) -> set[str]:
    if schema not in _PROPS_CACHE:
        found = _ftm_model().get(schema)
        _PROPS_CACHE[schema] = set(found.properties) if found is not None else set()
    return _PROPS_CACHE[schema]


def export_entities(store: EmbeddedStore) -> list[dict[str, Any]]:
    """The store's letters, actors and their relations as FtM entities, cleaned by the FtM model.

    Each entity goes through followthemoney's model (``make_entity`` + ``add``), which
    checks schema and property names and normalises values (dates, country codes), so what
    is written is what Aleph and OpenSanctions' tools will accept.
    """
    model = _ftm_model()
    export = _Export(store)
    letters = export.letters()
    export.actors(letters)
    export.allegations(letters)
    export.memberships()
    out: list[dict[str, Any]] = []
    for entity in sorted(export.entities.values(), key=lambda e: (e.schema, e.id)):
        proxy = model.make_entity(entity.schema)
        proxy.id = entity.id
        for prop, values in entity.properties.items():
            for value in values:
                proxy.add(prop, value)
        data = proxy.to_dict()
        # Values sorted: the same store always gives the same bytes, whatever order queries return.
        properties = {prop: sorted(values) for prop, values in sorted(data["properties"].items())}
        out.append({"id": data["id"], "schema": data["schema"], "properties": properties})
    return out


def export_ftm(store: EmbeddedStore) -> bytes:
    """FtM JSON lines, one entity a line, in a stable order."""
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in export_entities(store)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


# -- import ----------------------------------------------------------------------------------

_LEGAL_FORMS = {
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "limited",
    "ltd",
    "llc",
    "plc",
    "lp",
    "llp",
    "gmbh",
    "ag",
    "sa",
    "bv",
    "nv",
    "pte",
    "pty",
}
_IMPORTABLE = {"Company", "Organization", "LegalEntity"}
_DATE_PROPS = ("listingDate", "createdAt", "startDate", "incorporationDate")


def normalise_name(name: str) -> str:
    """'LI NING CO., LTD.' and 'Li-Ning Company Limited' -> 'li ning'.

    Case, accents and punctuation go, then trailing legal-form words (Co., Ltd, Limited,
    Company, Inc ...) one by one; a name made only of such words is kept whole.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    folded = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", folded)  # L.P. -> LP, S.A. -> SA
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    core = list(words)
    while core and core[-1] in _LEGAL_FORMS:
        core.pop()
    return " ".join(core or words)


@dataclass(frozen=True)
class Match:
    company: str
    company_label: str
    entity_id: str
    matched_name: str
    listing_date: str | None


@dataclass
class ImportResult:
    graph: str
    list_name: str
    entities: int
    matches: list[Match]
    triples: int


def list_graph_iri(list_name: str) -> str:
    return f"{GRAPH_NS}import/{iris.slug(list_name)}"


def _read_entities(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KgError(f"cannot read {path}: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of entities, as some tools write
        try:
            yield from json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise KgError(f"{path} is not FollowTheMoney JSON: {exc}") from exc
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KgError(
                f"{path}, line {number}: not a JSON object ({exc.msg}); "
                "expected FollowTheMoney entities, one JSON object a line"
            ) from exc
        if not isinstance(entity, dict) or "schema" not in entity:
            raise KgError(f"{path}, line {number}: not a FollowTheMoney entity (no 'schema')")
        yield entity


def _first_date(values: Iterable[str]) -> str | None:
    dates = sorted(v[:10] for v in values if re.match(r"^\d{4}-\d{2}-\d{2}", v or ""))
    return dates[0] if dates else None


def _listing_dates(entities: list[dict[str, Any]]) -> dict[str, str]:
    """Listing dates that Sanction entities give for the entities they point at."""
    found: dict[str, list[str]] = defaultdict(list)
    for e in entities:
        if e.get("schema") != "Sanction":
            continue
        props = e.get("properties") or {}
        dates = [*props.get("listingDate", []), *props.get("startDate", [])]
        for target in props.get("entity", []):
            found[target if isinstance(target, str) else str(target.get("id"))].extend(dates)
    return {k: d for k, v in found.items() if (d := _first_date(v))}


def _company_names(store: EmbeddedStore) -> dict[str, tuple[str, str]]:
    """Normalised name -> (company IRI, label), from every label a company has."""
    names: dict[str, tuple[str, str]] = {}
    for row in _rows(
        store,
        """SELECT ?x ?label ?name WHERE { ?x a kg:Company ; rdfs:label ?label .
             ?x rdfs:label|skos:prefLabel|skos:altLabel ?name } ORDER BY ?x""",
    ):
        names.setdefault(normalise_name(row["name"]), (row["x"], row["label"]))
    return names


def match_entities(store: EmbeddedStore, entities: list[dict[str, Any]]) -> list[Match]:
    """Exact matches of normalised names (name, alias, previousName); nothing fuzzy."""
    companies = _company_names(store)
    sanction_dates = _listing_dates(entities)
    matches: dict[tuple[str, str], Match] = {}
    for e in entities:
        if e.get("schema") not in _IMPORTABLE:
            continue
        props = e.get("properties") or {}
        eid = str(e.get("id", ""))
        dates = [d for p in _DATE_PROPS for d in props.get(p, []) if isinstance(d, str)]
        nested_dates: list[str] = []
        for nested in props.get("sanctions", []):  # OpenSanctions' nested export
            if isinstance(nested, dict):
                inner = nested.get("properties") or {}
                nested_dates += [*inner.get("listingDate", []), *inner.get("startDate", [])]
        date = (
            sanction_dates.get(eid)
            or _first_date(str(d) for d in nested_dates)
            or _first_date(dates)
            or _first_date([str(e.get("first_seen", ""))])
        )
        for name in [*props.get("name", []), *props.get("alias", []), *props.get("previousName", [])]:
            if not isinstance(name, str):
                continue
            key = normalise_name(name)
            if key and key in companies:
                iri, label = companies[key]
                matches.setdefault((iri, eid), Match(iri, label, eid, str(name), date))
    return sorted(matches.values(), key=lambda m: (m.company, m.entity_id))


def import_ftm(
    store: EmbeddedStore,
    path: Path,
    list_name: str,
    *,
    imported_at: dt.datetime | None = None,
) -> ImportResult:
    """Match an FtM list to the graph's companies and store the matches in the list's graph.

    The graph is replaced in one transaction, so a re-import of the same list leaves exactly
    the new matches, and a failure leaves the previous import untouched.
    """
    if not list_name.strip():
        raise KgError("--list-name must not be empty: it names the list on company pages")
    entities = list(_read_entities(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    matches = match_entities(store, entities)
    graph_iri = list_graph_iri(list_name)
    now = (imported_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    g = Graph()
    graph, source = URIRef(graph_iri), URIRef(f"urn:sha256:{digest}")
    g.add((graph, RDF.type, KG.ImportGraph))
    g.add((graph, KG.listName, Literal(list_name)))
    g.add((graph, PROV.wasDerivedFrom, source))
    g.add((graph, PROV.generatedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add((source, RDF.type, PROV.Entity))
    g.add((source, RDFS.label, Literal(path.name)))
    for m in matches:
        listing = URIRef(
            f"{graph_iri}/listing/{iris.slug(m.entity_id)}-{iris.slug(m.company.rsplit('/')[-1])}"
        )
        g.add((URIRef(m.company), KG.listedOn, listing))
        g.add((listing, RDF.type, KG.Listing))
        g.add((listing, RDFS.label, Literal(f"{m.company_label} on the {list_name}")))
        g.add((listing, KG.listName, Literal(list_name)))
        g.add((listing, KG.listEntityId, Literal(m.entity_id)))
        g.add((listing, KG.matchedName, Literal(m.matched_name)))
        if m.listing_date:
            g.add((listing, KG.listingDate, Literal(m.listing_date, datatype=XSD.date)))
        g.add((listing, PROV.wasDerivedFrom, source))
        g.add((listing, PROV.generatedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    triples = store.replace_graph(graph_iri, g)
    store.flush()
    return ImportResult(graph_iri, list_name, len(entities), matches, triples)
