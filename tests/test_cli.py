"""The kg command as a person uses it: help with examples, exit codes, formats, summaries."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest
from rdflib import Dataset
from typer.testing import CliRunner

from kg.cli import app
from support import CORPUS, synthetic_record

runner = CliRunner()
COMMANDS = [
    "extract",
    "ingest",
    "validate",
    "query",
    "queries",
    "stats",
    "export",
    "remove",
    "reason",
    "demo",
    "dump",
    "restore",
    "embargo set",
    "embargo lift",
    "connect",
]


def kg(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = kg(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Example: kg " in result.output


def test_ingest_query_stats_export_remove(tmp_path):
    data = str(tmp_path / "db")
    (tmp_path / "a.json").write_text(synthetic_record().to_json())
    result = kg("ingest", str(tmp_path / "a.json"), "--data-dir", data)
    assert result.exit_code == 0, result.output
    assert "added" in result.output and "AL OTH 901/2024" in result.output

    result = kg(
        "query", "communications-by-company", "-p", "company=acme", "--format", "csv", "--data-dir", data
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["reference"] for r in rows] == ["AL OTH 901/2024"]

    result = kg(
        "query",
        "ASK { ?c a <https://w3id.org/kg-spcomm/ontology#Company> }",
        "-f",
        "json",
        "--data-dir",
        data,
    )
    assert json.loads(result.stdout)["boolean"] is True

    result = kg("stats", "--data-dir", data)
    assert "documents" in result.output and "communication" in result.output

    result = kg("export", "--format", "nquads", "--data-dir", data)
    ds = Dataset()
    ds.parse(data=result.stdout, format="nquads")
    assert any("graph/al-oth-901-2024" in str(g.identifier) for g in ds.graphs())

    result = kg("remove", "AL OTH 901/2024", "--data-dir", data)
    assert result.exit_code == 0
    result = kg("remove", "AL OTH 901/2024", "--data-dir", data)
    assert result.exit_code == 2 and "not in the store" in result.output


def test_rejected_document_gives_exit_code_1_and_a_report(tmp_path):
    bad = synthetic_record()
    bad.date = None
    (tmp_path / "bad.json").write_text(bad.to_json())
    result = kg("ingest", str(tmp_path / "bad.json"), "--data-dir", str(tmp_path / "db"))
    assert result.exit_code == 1
    assert "rejected" in result.output
    assert "dateSent" in result.output


def test_bad_query_is_exit_2_with_the_parser_message(tmp_path):
    result = kg("query", "SELECT WHERE {", "--data-dir", str(tmp_path / "db"))
    assert result.exit_code == 2
    assert "does not parse" in result.output


def test_wrong_format_for_the_answer_is_explained(tmp_path):
    result = kg(
        "query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "-f", "turtle", "--data-dir", str(tmp_path / "db")
    )
    assert result.exit_code == 2
    assert "does not fit a SELECT" in result.output


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present on this machine")
def test_extract_prints_a_record_and_turtle():
    result = kg("extract", str(CORPUS / "AL_OTH_70_2020.txt"))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["reference"] == "AL OTH 70/2020"
    result = kg("extract", str(CORPUS / "AL_OTH_70_2020.txt"), "--format", "turtle")
    assert "kg:AllegationLetter" in result.stdout


def test_extract_refuses_text_that_is_not_a_letter(tmp_path):
    f = tmp_path / "recipe.txt"
    f.write_text("Mix the flour with two eggs and a pinch of salt. Bake for twenty minutes.\n")
    result = kg("extract", str(f))
    assert result.exit_code == 2
    assert "recipe.txt" in result.output or "does not look like" in result.output


def test_console_script_runs_the_demo(tmp_path):
    exe = shutil.which("kg") or str(__import__("pathlib").Path(sys.executable).parent / "kg")
    proc = subprocess.run(
        [exe, "demo", "--data-dir", str(tmp_path / "db")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "AL OTH 70/2020" in proc.stdout
    assert "communications" in proc.stdout


def test_demo_without_java_says_so_and_goes_on(tmp_path):
    from pathlib import Path

    bindir = Path(sys.executable).parent
    exe = bindir / "kg"
    if not exe.exists():
        pytest.skip("the kg console script is not installed next to this Python")
    env = {"PATH": str(bindir), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(exe), "demo", "--data-dir", str(tmp_path / "db")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "unavailable" in proc.stdout and "Java" in proc.stdout
    assert "5 communications" in proc.stdout
