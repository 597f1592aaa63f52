"""``kg serve`` and ``kg demo --serve`` as a person runs them: flags, environment, refusal of bad settings."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.server.settings import ServerSettings

pytest_plugins = ["server_fixture"]

runner = CliRunner()


def test_serve_help_has_an_example_and_every_setting():
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example: kg serve" in result.output
    for flag in (
        "--host",
        "--port",
        "--data-dir",
        "--base-iri",
        "--query-timeout",
        "--max-results",
        "--max-request-bytes",
        "--workers",
        "--cors-origins",
        "--service-allowlist",
    ):
        assert flag in result.output, flag


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--query-timeout", "0"], {}, "--query-timeout"),
        (["--workers", "0"], {}, "--workers"),
        ([], {"KG_QUERY_TIMEOUT": "soon"}, "KG_QUERY_TIMEOUT"),
        (["--base-iri", "ftp://example.org/"], {}, "base IRI"),
    ],
)
def test_bad_settings_are_refused_with_exit_2(tmp_path, args, env, message):
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "db"), *args], env=env)
    assert result.exit_code == 2
    assert message in result.output


def test_flags_win_over_environment_which_wins_over_defaults(monkeypatch):
    monkeypatch.setenv("KG_QUERY_TIMEOUT", "12")
    monkeypatch.setenv("KG_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("KG_PORT", "9001")
    settings = ServerSettings.from_env(port=9002)
    assert settings.query_timeout_s == 12.0
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.port == 9002
    assert settings.host == "127.0.0.1"


def test_demo_serve_builds_the_sample_and_serves_it(tmp_path, kg_server_launcher):
    """The README's main command: the read-write store must be released before the workers open it."""
    data_dir = tmp_path / "kg-data"
    with kg_server_launcher(data_dir, command=("demo", "--serve"), start_timeout_s=240) as base:
        response = httpx.get(
            f"{base}/queries/communications-by-company", params={"company": "li-ning"}, timeout=30
        )
        assert response.status_code == 200
        rows = response.json()["results"]["bindings"]
        assert [r["reference"]["value"] for r in rows] == ["AL OTH 70/2020"]
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert "5 communications" in log and "kg serves" in log and "/sparql" in log
