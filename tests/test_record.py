"""The record format: its published JSON Schema stays current, bad records are explained field by field."""

from __future__ import annotations

import json

import jsonschema
import pytest

from kg.errors import RecordError
from kg.record import CommunicationRecord, json_schema, parse_record
from support import REPO, synthetic_record

SCHEMA_FILE = REPO / "schema" / "record.schema.json"


def test_published_schema_matches_the_models():
    published = json.loads(SCHEMA_FILE.read_text())
    assert published == json_schema(), (
        "schema/record.schema.json is stale: regenerate it with "
        'python3 -c "import json,kg.record as r;print(json.dumps(r.json_schema(),indent=2,sort_keys=True))"'
    )


def test_records_validate_against_the_published_schema():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(synthetic_record().to_json()), schema)


def test_json_round_trip_is_lossless():
    record = synthetic_record()
    assert parse_record(record.to_json()) == record


def test_stripped_record_has_no_quotes_or_question_text():
    stripped = synthetic_record().without_text()
    text = stripped.to_json()
    assert '"quote"' not in text
    assert all(q.text is None for q in stripped.questions)
    assert stripped.reference == "AL OTH 901/2024"
    assert stripped.allegations[0].evidence[0].start == 50


def test_bad_json_names_line_and_column():
    with pytest.raises(RecordError, match=r"x.json: not valid JSON at line 2, column"):
        parse_record('{\n "reference": }', source_name="x.json")


def test_schema_mistakes_name_the_field():
    with pytest.raises(RecordError, match=r"reference: String should match pattern"):
        parse_record('{"reference": "AL 70/2020"}')
    with pytest.raises(RecordError, match=r"mandates\.0\.iri: Field required"):
        parse_record('{"reference": "AL OTH 1/2020", "mandates": [{"name": "x"}]}')
    with pytest.raises(RecordError, match="Extra inputs are not permitted"):
        parse_record('{"reference": "AL OTH 1/2020", "colour": "blue"}')


def test_an_empty_record_is_allowed_but_empty():
    record = CommunicationRecord()
    assert record.reference is None and record.mandates == []
