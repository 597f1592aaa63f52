"""The communication record: what kg knows about one letter, before it is RDF.

The record is kg's stable, documented interchange format (``schema/record.schema.json``
is generated from these models and checked by a test), so people who never touch RDF
can read what extraction found, correct it, and ingest it back. Every extracted fact
carries its evidence: character offsets into the source text and, unless the record
was stripped for redistribution, the quoted sentence.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kg.errors import RecordError

SCHEMA_VERSION = "1.0"

REFERENCE_PATTERN = r"^[A-Z]{2,3} [A-Z]{3} \d{1,4}/\d{4}$"
ISO3_PATTERN = r"^[A-Z]{3}$"

ActorKind = Literal["state", "company", "organization", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Evidence(_Model):
    """Where in the source text a fact is stated."""

    start: int = Field(ge=0, description="0-based character offset of the first character.")
    end: int = Field(ge=0, description="Offset just past the last character.")
    quote: str | None = Field(
        default=None, description="The sentence at those offsets; omitted in redistributable records."
    )


class ReferenceParts(_Model):
    type: str = Field(description="Letter type code: AL, UA, OL, JAL, JUA, JOL...")
    country: str = Field(pattern=ISO3_PATTERN, description="ISO 3166 alpha-3 code, or OTH.")
    number: int = Field(ge=1)
    year: int = Field(ge=1980, le=2100)
    file_codes: list[str] = Field(
        default_factory=list, description="Mandate file codes that older references carry."
    )


class Actor(_Model):
    """A State, company, organisation or other actor named by a letter."""

    kind: ActorKind
    name: str | None = Field(default=None, description="The actor's name as the letter gives it.")
    country: str | None = Field(
        default=None, pattern=ISO3_PATTERN, description="ISO alpha-3 code: the State itself for a State."
    )
    evidence: Evidence | None = None


class Person(_Model):
    name: str | None = None
    honorific: str | None = Field(default=None, description="Mr., Ms., Excellency...")
    evidence: Evidence | None = None


class MandateRef(_Model):
    name: str = Field(description="The mandate's preferred label in kg's vocabulary.")
    iri: str = Field(description="The mandate's IRI in kg's vocabulary.")
    text: str | None = Field(default=None, description="The mandate's name as the letter writes it.")
    resolution: str | None = Field(
        default=None, description="The resolution the letter cites for this mandate, e.g. 44/15."
    )
    evidence: Evidence | None = None


class Signatory(_Model):
    name: str
    title: str | None = Field(default=None, description="The post: Special Rapporteur, Chair-Rapporteur...")
    mandate: str | None = Field(default=None, description="The mandate's preferred label.")
    mandate_iri: str | None = None
    evidence: Evidence | None = None


class ConceptRef(_Model):
    """A vocabulary concept (issue, group, sector, topic) or a named thing found in the text."""

    label: str
    iri: str | None = None
    evidence: Evidence | None = None


class Place(_Model):
    name: str
    country: str | None = Field(default=None, pattern=ISO3_PATTERN)
    kind: Literal["state", "place"] = "place"
    evidence: Evidence | None = None


class Period(_Model):
    start: int | None = None
    end: int | None = None
    text: str


class Quantity(_Model):
    value: float
    qualifier: str | None = None
    unit: str
    text: str


class Allegation(_Model):
    issue: str = Field(description="The issue's preferred label in kg's vocabulary.")
    issue_iri: str
    affected_groups: list[ConceptRef] = Field(default_factory=list)
    locations: list[Place] = Field(default_factory=list)
    sectors: list[ConceptRef] = Field(default_factory=list)
    policies: list[ConceptRef] = Field(default_factory=list)
    perpetrators: list[Actor] = Field(default_factory=list)
    implicated: list[Actor] = Field(default_factory=list)
    period: Period | None = None
    quantities: list[Quantity] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class Question(_Model):
    number: int = Field(ge=1)
    text: str | None = Field(default=None, description="Omitted in redistributable records.")
    topics: list[ConceptRef] = Field(default_factory=list)
    evidence: Evidence | None = None


class NormCitation(_Model):
    kind: Literal["guiding_principle", "resolution", "instrument", "article"]
    id: str = Field(description="GP number, resolution symbol, instrument key, or instrument key#article.")
    label: str
    iri: str | None = None
    evidence: Evidence | None = None


class RelatedReference(_Model):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    relation: Literal["related", "follow_up"] = "related"
    evidence: Evidence | None = None


class Reply(_Model):
    date: dt.date | None = None
    by: str | None = None


class Source(_Model):
    file_name: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    media_type: str | None = None
    length: int | None = Field(default=None, ge=0)


class CommunicationRecord(_Model):
    """One communication, as extraction found it or as a person wrote it."""

    schema_version: str = SCHEMA_VERSION
    reference: str | None = Field(default=None, pattern=REFERENCE_PATTERN)
    reference_parts: ReferenceParts | None = None
    reference_evidence: Evidence | None = None
    type: str | None = None
    date: dt.date | None = None
    date_evidence: Evidence | None = None
    recipient: Actor | None = None
    addressee_person: Person | None = None
    mandates: list[MandateRef] = Field(default_factory=list)
    resolutions: list[str] = Field(default_factory=list)
    signatories: list[Signatory] = Field(default_factory=list)
    allegations: list[Allegation] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    norms_cited: list[NormCitation] = Field(default_factory=list)
    also_sent_to: list[Actor] = Field(default_factory=list)
    also_sent_to_other_companies: bool = False
    related_references: list[RelatedReference] = Field(default_factory=list)
    publication_days: int | None = Field(default=None, ge=0)
    publication_date: dt.date | None = None
    publication_evidence: Evidence | None = None
    replies: list[Reply] = Field(default_factory=list)
    source: Source | None = None
    warnings: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True)

    def without_text(self) -> CommunicationRecord:
        """A copy with quotes and question texts removed, so the facts can be shipped without the letter."""
        data = self.model_dump(mode="json")
        _strip_text(data)
        return CommunicationRecord.model_validate(data)


def _strip_text(node: object) -> None:
    """Drop quoted sentences everywhere and question wording; names and short phrases stay."""
    if isinstance(node, dict):
        node.pop("quote", None)
        if "number" in node and "topics" in node:
            node.pop("text", None)
        for value in node.values():
            _strip_text(value)
    elif isinstance(node, list):
        for item in node:
            _strip_text(item)


def json_schema() -> dict[str, object]:
    """The JSON Schema of the record, as published in ``schema/record.schema.json``."""
    schema = CommunicationRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://w3id.org/kg-spcomm/schema/record.schema.json"
    schema["title"] = "kg communication record"
    return schema


def parse_record(data: str | bytes, *, source_name: str = "<record>") -> CommunicationRecord:
    """Parse a JSON record; a mistake is reported with its field path, so a person can fix the file."""
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"{source_name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    try:
        return CommunicationRecord.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()[:10]
        )
        raise RecordError(f"{source_name}: not a valid communication record: {problems}") from exc


def load_record(path: Path) -> CommunicationRecord:
    return parse_record(path.read_bytes(), source_name=str(path))
