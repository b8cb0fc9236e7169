"""Sandboxed Jinja2 rendering with StrictUndefined: a template can neither escape nor guess."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 20_000
MAX_REPEAT = 10_000


class _BoundedSandbox(SandboxedEnvironment):
    """Also bounds `*` and `**`, so a template cannot allocate gigabytes ('x' * 10**9)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (not isinstance(right, int) or abs(right) > 64):
            raise ValueError("exponent too large")
        if operator == "*" and any(isinstance(v, str | list | tuple) for v in (left, right)):
            n = right if isinstance(right, int) else left
            if isinstance(n, int) and n > MAX_REPEAT:
                raise ValueError("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True, keep_trailing_newline=False)


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
    except TemplateError as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}"[:500]) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, RecursionError) as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}"[:500]) from None
    if len(out) > MAX_OUTPUT:
        raise RenderError(f"rendered text is longer than {MAX_OUTPUT} characters")
    return out.strip()
