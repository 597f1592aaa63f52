"""The one benchmark command, run end to end at the smallest scale (the bundled sample).

What a user relies on: every engine and every figure appears in the table with a number or a
stated reason, the engines agree on how many rows each canned query returns, the chart is a
real image, and no server is left running afterwards.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from kg.canned import load_canned_queries

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "bench" / "suite.py"
ENGINES = ("kg endpoint", "Oxigraph server", "rdflib-endpoint", "rdflib in memory")
# A cell is a measurement (digits) or says why there is none.
REASON = re.compile(r"\d|timeout|error|n/a|in memory|failed")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bench")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = subprocess.run(
        [
            sys.executable,
            str(SUITE),
            "--communications",
            "0",
            "--repeat",
            "1",
            "--duration",
            "1",
            "--timeout",
            "4",
            "--ingest-max",
            "2",
            "--ingest-repeat",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not left, f"the suite left processes running: {left}"
    return out, done.stdout


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``, as lists of cells."""
    section = markdown.split(heading, 1)[1]
    rows = []
    started = False
    for line in section.splitlines():
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(c and set(c) <= {"-"} for c in cells):  # not the |---|---| line
                rows.append(cells)
        elif started:
            break
    return rows


def test_prints_and_writes_the_same_table(run):
    out, stdout = run
    written = (out / "results.md").read_text(encoding="utf-8")
    assert written.strip() in stdout


def test_every_canned_query_has_a_figure_from_every_engine(run):
    out, _ = run
    rows = table_rows((out / "results.md").read_text(encoding="utf-8"), "## Canned queries")
    header, body = rows[0], rows[1:]
    assert header[2:] == list(ENGINES)
    assert sorted(r[0] for r in body) == sorted(load_canned_queries())
    for row in body:
        for engine, cell in zip(ENGINES, row[2:], strict=True):
            assert REASON.search(cell), f"{row[0]} on {engine}: {cell!r} is neither a number nor a reason"
        # kg and the Oxigraph server answer every canned query on the sample, with a time.
        assert re.match(r"[\d.,]+ / [\d.,]+", row[2]), row
        assert re.match(r"[\d.,]+ / [\d.,]+", row[3]), row


def test_every_other_figure_is_there_for_every_engine(run):
    out, _ = run
    markdown = (out / "results.md").read_text(encoding="utf-8")
    rows = table_rows(markdown, "## Lookup, paths, load, resources")
    assert rows[0][1:] == list(ENGINES)
    figures = {r[0].split(" (")[0].split(":")[0]: r[1:] for r in rows[1:]}
    for figure in (
        "lookup, one company's facts",
        "company → allegations within 4 hops",
        "lookup, 8 clients for 1 s",
        "lookup, 8 clients",
        "peak memory, MB",
        "store on disk, MB",
    ):
        assert figure in figures, f"no row for {figure!r} in {sorted(figures)}"
        for engine, cell in zip(ENGINES, figures[figure], strict=True):
            assert REASON.search(cell), f"{figure} on {engine}: {cell!r}"
    kg_rps = figures["lookup, 8 clients for 1 s"][0]
    assert re.match(r"[\d,]+", kg_rps), f"kg's endpoint served no lookups under load: {kg_rps!r}"
    ingest = {r[0]: r for r in table_rows(markdown, "## Ingest")[1:]}
    for label in ("kg ingest, with SHACL", "kg ingest, without SHACL", "Oxigraph server: `oxigraph load`"):
        assert re.match(r"[\d.,]+", ingest[label][1]), ingest[label]
    assert "## Targets" in markdown and "within 1.5× of the Oxigraph server" in markdown


def test_engines_agree_on_row_counts(run):
    out, _ = run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    kg, oxigraph = results["engines"]["kg"], results["engines"]["oxigraph"]
    for name, timing in kg["queries"].items():
        assert timing["rows"] == oxigraph["queries"][name]["rows"], name
    assert kg["lookup"]["rows"] == oxigraph["lookup"]["rows"] > 0
    assert kg["peak_bytes"] > 0 and kg["disk_bytes"] > 0


def test_chart_is_a_png_with_four_panels_worth_of_pixels(run):
    out, _ = run
    from matplotlib import image

    png = out / "chart.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = image.imread(png).shape[:2]
    assert width >= 1000 and height >= 800
    assert png.stat().st_size > 20_000  # bars and labels, not an empty canvas
