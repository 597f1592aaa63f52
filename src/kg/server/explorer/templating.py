"""The Jinja environment of every explorer page: autoescape always on, a few wording filters.

Autoescape is set here for every template name (not by file extension), so no data value
can become markup; templates never use ``|safe`` on data.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from kg.server.explorer.links import page_url

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 communication', '7 mandates': the number with its noun."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def lower_first(label: str) -> str:
    """'Forced labour' -> 'forced labour' mid-sentence; 'UN Guiding...' and 'ICCPR' keep their capitals."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["plural"] = plural
    env.filters["lower_first"] = lower_first
    env.globals["page_url"] = page_url
    return env


templates = Jinja2Templates(env=environment())
