"""RFC 9457 problem+json for every error, including malformed JSON and validation."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, ExecutionTimeout, NetworkTimeout, PyMongoError, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm_shared.errors import Busy, DomainError, Forbidden, NotFound

PROBLEM_BASE = "https://crm.example/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("crm.http")

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 410: "Gone", 412: "Precondition failed",
    413: "Payload too large", 415: "Unsupported media type", 422: "Validation failed",
    428: "Precondition required", 429: "Too many requests", 500: "Internal error", 503: "Unavailable",
}


class Problem(Exception):
    """An HTTP-level failure (401, 400 for a bad header, 413): for views and the platform's HTTP
    layer only. Services, rules and timers raise `crm_shared.errors` instead."""

    def __init__(self, status: int, kind: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.extra = status, kind, detail, extra


def not_found(what: str = "resource") -> NotFound:
    return NotFound(what)


def forbidden(detail: str = "your role may not do this") -> Forbidden:
    return Forbidden(detail)


def problem_response(status: int, kind: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + kind, "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _loc(loc: tuple) -> list:
    return [str(part) for part in loc]


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.kind, exc.detail, **exc.extra)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        response = problem_response(exc.status, exc.kind, exc.detail, **exc.fields)
        if isinstance(exc, Busy):
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(400, "malformed-json", "the request body is not valid JSON")
        return problem_response(
            422, "validation", "the request has invalid fields",
            errors=[{"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", ""))[:500]} for e in errors][:50],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(exc.status_code, kind, str(exc.detail))

    @app.exception_handler(PyMongoError)
    async def _store(request: Request, exc: PyMongoError) -> JSONResponse:
        if isinstance(exc, ConnectionFailure | ServerSelectionTimeoutError | NetworkTimeout | ExecutionTimeout):
            log.warning("store unavailable", extra={"path": request.url.path, "error": type(exc).__name__})
            response = problem_response(503, "store-unavailable", "the data store is unreachable; retry shortly (with the same Idempotency-Key to be repeat-safe)")
            response.headers["Retry-After"] = "2"
            return response
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "internal", "an unexpected error occurred; it has been logged")
