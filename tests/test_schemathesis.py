"""schemathesis against a real `kg serve`: every operation in /openapi.json, generated requests,
no 5xx and no answer that contradicts the schema (status, media type or body shape).

The run is bounded (a fixed number of examples per operation, a fixed seed) so that it fits
CI in about half a minute; schemathesis runs as its own CLI process, as a CI job would run it, and its
JSON report is what the assertions read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

pytest_plugins = ["server_fixture"]

EXAMPLES_PER_OPERATION = 25
SEED = 20261130
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def test_generated_requests_get_no_5xx_and_no_schema_violation(kg_server: str, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{kg_server}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    output = run.stdout[-6000:] + run.stderr[-2000:]
    assert report.exists(), f"schemathesis wrote no report (exit {run.returncode}):\n{output}"
    result = json.loads(report.read_text())

    operations = result["operations"]
    assert operations["selected"] == operations["total"] == operations["tested"], (operations, output)
    assert operations["total"] >= 20, "fewer operations than kg has: " + json.dumps(operations)
    assert operations["errored"] == 0 and not result["errors"], output
    assert not result["failures"], output
    assert result["test_cases"]["with_failures"] == 0, output
    assert result["test_cases"]["generated"] >= 10 * operations["total"], result["test_cases"]
    assert run.returncode == 0, output
    print(
        f"schemathesis: {result['test_cases']['generated']} requests over {operations['tested']} "
        f"operations in {result['running_time']:.0f} s, no failure"
    )
