"""Domain errors: what services, rules, timers and importers raise.

They say what went wrong in the domain's words; one place (`crm_shared.http.problems.install`)
turns them into RFC 9457 problem+json. A timer or an importer catches exactly the error it
expects (a lost race is a `Conflict` or `Stale`), so a genuine bug is never swallowed as if
it were one.

Each error has a stable `kind` (the last part of the problem `type`) and optional `fields`
that become members of the problem body (e.g. `existing_lead_id`).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every domain error; `status` is only read by the HTTP mapping."""

    status: ClassVar[int] = 400
    default_kind: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, kind: str | None = None, **fields: Any) -> None:
        super().__init__(detail)
        self.detail, self.kind, self.fields = detail, kind or self.default_kind, fields


class NotFound(DomainError):
    """Missing, or outside the caller's scope (another branch, another consultant's lead)."""

    status, default_kind = 404, "not-found"

    def __init__(self, what: str = "resource", **fields: Any) -> None:
        super().__init__(f"{what} not found", **fields)


class Forbidden(DomainError):
    """The caller sees the object but its role may not do this."""

    status, default_kind = 403, "forbidden"

    def __init__(self, detail: str = "your role may not do this", **fields: Any) -> None:
        super().__init__(detail, **fields)


class Conflict(DomainError):
    """The object's state forbids the change (closed, taken, duplicate...); `kind` says which."""

    status = 409

    def __init__(self, kind: str, detail: str, **fields: Any) -> None:
        super().__init__(detail, kind, **fields)


class Stale(DomainError):
    """The object changed since the caller read it (optimistic concurrency)."""

    status, default_kind = 412, "stale-version"

    def __init__(self, current: int, expected: int | None) -> None:
        super().__init__(f"version is {current}, not {expected}", current_version=current)
        self.current, self.expected = current, expected


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; `loc` names the failing field."""

    status, default_kind = 422, "validation"

    def __init__(self, detail: str, kind: str | None = None, loc: list[str] | tuple[str, ...] | None = None,
                 **fields: Any) -> None:
        if loc is not None:
            fields.setdefault("errors", [{"loc": list(loc), "msg": detail}])
        super().__init__(detail, kind, **fields)


class Busy(DomainError):
    """Too much contention right now; the same request may succeed when retried."""

    status, default_kind = 503, "busy"

    def __init__(self, kind: str, detail: str, **fields: Any) -> None:
        super().__init__(detail, kind, **fields)


class Gone(DomainError):
    """The object existed and was the caller's, but is no more to be had (an expired or destroyed export)."""

    status, default_kind = 410, "gone"

    def __init__(self, kind: str, detail: str, **fields: Any) -> None:
        super().__init__(detail, kind, **fields)
