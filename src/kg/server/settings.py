"""Server settings: flags win over KG_* environment variables, which win over the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import Settings


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    return int(_env_float(name, default))


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class ServerSettings:
    """Everything `kg serve` can be told; each field has a flag and a KG_* variable (see README)."""

    store: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout_s: float = 30.0  # KG_QUERY_TIMEOUT
    max_results: int = 10_000  # KG_MAX_RESULTS: rows or triples in one answer
    max_request_bytes: int = 1_000_000  # KG_MAX_REQUEST_BYTES: body and query string
    max_query_depth: int = 128  # KG_MAX_QUERY_DEPTH: nesting of { ( [
    max_path_steps: int = 64  # KG_MAX_PATH_STEPS: property path operators in one query
    workers: int = 2  # KG_QUERY_WORKERS: query processes
    cors_origins: tuple[str, ...] = ("*",)  # KG_CORS_ORIGINS, comma-separated; empty turns CORS off
    service_allowlist: tuple[str, ...] = ()  # KG_SERVICE_ALLOWLIST: endpoints SERVICE may call
    access_tokens: tuple[str, ...] = ()  # KG_ACCESS_TOKENS: bearer tokens that also see embargoed letters
    rate_limit: int = 0  # KG_RATE_LIMIT: requests per minute per client address; 0 turns it off
    answer_cache_mb: float = 64.0  # KG_ANSWER_CACHE_MB: answers kept per publication; 0 turns it off
    worker_memory_mb: int = 1024  # KG_WORKER_MEMORY_MB: a worker's allocations beyond its open store

    @classmethod
    def from_env(
        cls, *, data_dir: Path | None = None, base_iri: str | None = None, **flags: object
    ) -> ServerSettings:
        values: dict[str, object] = {
            "host": os.environ.get("KG_HOST", "127.0.0.1"),
            "port": _env_int("KG_PORT", 8000),
            "query_timeout_s": _env_float("KG_QUERY_TIMEOUT", 30.0),
            "max_results": _env_int("KG_MAX_RESULTS", 10_000),
            "max_request_bytes": _env_int("KG_MAX_REQUEST_BYTES", 1_000_000),
            "max_query_depth": _env_int("KG_MAX_QUERY_DEPTH", 128),
            "max_path_steps": _env_int("KG_MAX_PATH_STEPS", 64),
            "workers": _env_int("KG_QUERY_WORKERS", 2),
            "cors_origins": _env_list("KG_CORS_ORIGINS", ("*",)),
            "service_allowlist": _env_list("KG_SERVICE_ALLOWLIST", ()),
            "access_tokens": _env_list("KG_ACCESS_TOKENS", ()),
            "rate_limit": _env_int("KG_RATE_LIMIT", 0),
            "answer_cache_mb": _env_float("KG_ANSWER_CACHE_MB", 64.0),
            "worker_memory_mb": _env_int("KG_WORKER_MEMORY_MB", 1024),
        }
        values.update({k: v for k, v in flags.items() if v is not None})
        for name, variable in (
            ("answer_cache_mb", "KG_ANSWER_CACHE_MB"),
            ("worker_memory_mb", "KG_WORKER_MEMORY_MB"),
        ):
            if float(values[name]) < 0:  # type: ignore[arg-type]
                raise ValueError(f"{variable} must be 0 (off) or a positive number of MB, got {values[name]}")
        return cls(store=Settings.from_env(data_dir=data_dir, base_iri=base_iri), **values)  # type: ignore[arg-type]
