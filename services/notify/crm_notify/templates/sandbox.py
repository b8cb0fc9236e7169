"""The Jinja2 sandbox templates render in: no escapes (Jinja's sandbox), and nothing grows past a bound.

Stored templates are rendered at PUT (with sample data), on POST /v1/messages and by every
dispatcher, in the service's process. Jinja's sandbox stops attribute escapes but not size:
`'x'.ljust(10**9)`, `'%999999999s' % x`, `range(20000) | join('x' * 20000)` each allocate
gigabytes in one step. Here every step that can multiply a size is checked before it runs,
and every string or list a call produces is checked after, so a template stops with an error
(RenderError for the caller) instead of taking the process down.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import wraps
from string import Formatter
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 20_000
MAX_POWER_BITS = 4096
_PERCENT_WIDTHS = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TooLarge(ValueError):
    """A template tried to build something larger than MAX_OUTPUT."""


def _at_most(n: Any, what: str) -> None:
    if isinstance(n, int) and n > MAX_OUTPUT:
        raise TooLarge(f"{what} is larger than {MAX_OUTPUT}")


def bounded(value: Any) -> Any:
    """A string, list or mapping a template built, if it is not too large."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) and len(value) > MAX_OUTPUT:
        raise TooLarge(f"a value in the template is longer than {MAX_OUTPUT}")
    return value


def _widths(fmt: Any, args: Any) -> None:
    """Field widths and precisions of a %-format or a str.format string, and `*` widths from the arguments."""
    if not isinstance(fmt, str):
        return
    starred = False
    for width, precision in _PERCENT_WIDTHS.findall(fmt):
        for n in (width, precision):
            starred |= n == "*"
            if n.isdigit():
                _at_most(int(n), "a field width")
    try:
        specs = [spec for _, _, spec, _ in Formatter().parse(fmt) if spec]
    except ValueError:
        specs = []
    for spec in specs:
        starred |= "{" in spec  # `'{0:{1}}'.format(text, width)`
        for n in re.findall(r"\d+", spec):
            _at_most(int(n), "a field width")
    if starred:  # `'%*s' % (width, text)`: the width comes from the arguments
        for arg in args if isinstance(args, tuple | list) else (args,):
            _at_most(arg, "a field width")


def _product(count: int, size: int, what: str) -> None:
    if count * size > MAX_OUTPUT:
        raise TooLarge(f"{what} would be longer than {MAX_OUTPUT}")


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1


# Filters that can multiply a size, each with a check of its bound arguments before it runs.
_FILTER_CHECKS: dict[str, Callable[[dict], None]] = {
    "center": lambda a: _at_most(a.get("width"), "a width"),
    "indent": lambda a: _product(_lines(a["s"]), len(w) if isinstance(w := a.get("width"), str) else w or 0, "the indented text"),
    "join": lambda a: _product(len(a["value"]), len(str(a.get("d") or "")), "the joined text"),
    "replace": lambda a: _product(str(a["s"]).count(str(a["old"])) + 1, len(str(a["new"])), "the replaced text"),
    "format": lambda a: _widths(a["value"], a.get("args", ())),
    "batch": lambda a: _at_most(a.get("linecount"), "a batch"),
    "slice": lambda a: _at_most(a.get("slices"), "a slice count"),
    "tojson": lambda a: _at_most(a.get("indent"), "an indent"),
}
_SEQUENCE_ARGUMENT = {"join": "value"}  # materialised first, so its length can be checked and it is read once


def _guarded_filter(name: str, f: Callable) -> Callable:
    check, signature = _FILTER_CHECKS.get(name), inspect.signature(f)

    @wraps(f)  # keeps Jinja's pass_context/pass_eval_context marker
    def run(*args: Any, **kwargs: Any) -> Any:
        if check is not None:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            if (key := _SEQUENCE_ARGUMENT.get(name)) and not isinstance(bound.arguments[key], str | list | tuple):
                bound.arguments[key] = list(bound.arguments[key])
            check(bound.arguments)
            args, kwargs = bound.args, bound.kwargs
        return bounded(f(*args, **kwargs))

    return run


def _method_check(method: Any, args: tuple) -> tuple:
    """str methods that can multiply a size, checked before they run; returns the arguments to call with."""
    target, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(target, str):
        return args
    if name == "join" and args and not isinstance(args[0], str | list | tuple):
        args = (list(args[0]), *args[1:])  # a generator (`items | map(...)`) is read once, here, to be measured
    if name in ("ljust", "rjust", "center", "zfill") and args:
        _at_most(args[0], "a width")
    elif name == "expandtabs":
        _product(target.count("\t"), args[0] if args and isinstance(args[0], int) else 8, "the expanded text")
    elif name == "join" and args:
        _product(len(args[0]), len(target), "the joined text")
    elif name == "replace" and len(args) >= 2:
        _product(target.count(str(args[0])) + 1, len(str(args[1])), "the replaced text")
    elif name in ("format", "format_map"):
        _widths(target, args)
    return args


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with `*`, `**` and `%` bounded and every call's result checked."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.globals.pop("lipsum", None)  # placeholder text has no place in a message

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if not isinstance(right, int) or abs(right) > 64 or (
                    isinstance(left, int) and left.bit_length() * abs(right) > MAX_POWER_BITS):
                raise TooLarge("exponent too large")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int):
                    _product(len(seq), n, "the repeated value")
        elif operator == "%" and isinstance(left, str):
            _widths(left, right)
        return bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        args = _method_check(getattr(__obj, "__wrapped__", __obj), args)
        return bounded(super().call(__context, __obj, *args, **kwargs))
