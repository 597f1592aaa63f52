"""Project hygiene a user notices: docs name every command, the sample is current, the code is lint-clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from support import CORPUS, REPO
from test_cli import COMMANDS


def test_readme_opens_with_the_two_commands_and_tours_every_command():
    readme = (REPO / "README.md").read_text()
    head = readme[:1500]
    assert "kg demo" in head and "python -m pytest" in head
    ci = (REPO / ".ci" / "run").read_text()
    test_command = next(line for line in head.splitlines() if "python -m pytest" in line)
    assert test_command.strip() in ci, ".ci/run must run exactly the README's test command"
    for command in COMMANDS:
        assert f"kg {command}" in readme, f"README does not show kg {command}"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present on this machine")
def test_bundled_sample_records_match_what_extraction_finds_now():
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_sample_records.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


def test_sample_records_carry_no_letter_text():
    for path in (REPO / "src" / "kg" / "sample").glob("*.json"):
        text = path.read_text()
        assert '"quote"' not in text, f"{path.name} contains quoted sentences"


def test_code_is_ruff_clean():
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", str(REPO)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
