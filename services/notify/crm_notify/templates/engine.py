"""Sandboxed Jinja2 rendering with StrictUndefined: a template can neither escape nor guess.

Whatever a template does wrong when it runs -- a missing variable, a bad filter argument, a
value grown too large (templates/sandbox.py) -- is the template's error (RenderError): the
caller's 422 at PUT and POST, the message's failure in the dispatcher; never a crash.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError

from crm_notify.templates.sandbox import MAX_OUTPUT, BoundedSandbox

_ENV = BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, keep_trailing_newline=False)


class RenderError(ValueError):
    """The template is invalid or needs a variable the data lacks."""


@lru_cache(maxsize=512)
def _compile(source: str):
    return _ENV.from_string(source)


def check_syntax(source: str) -> None:
    try:
        _compile(source)
    except TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error at line {exc.lineno}: {exc.message}") from None


def render(source: str, data: dict[str, Any]) -> str:
    try:
        out = _compile(source).render(**data)
    except Exception as exc:  # sandboxed code: any failure of the template's own making (even an assert in a filter)
        raise RenderError(f"{type(exc).__name__}: {exc}"[:500]) from None
    if len(out) > MAX_OUTPUT:
        raise RenderError(f"rendered text is longer than {MAX_OUTPUT} characters")
    return out.strip()
