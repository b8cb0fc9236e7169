"""Which store a service talks to, and what it can rely on beyond the portable rules.

Production runs MongoDB; development and the default test run use the dev store (FerretDB v1 with
SQLite, `deploy/devstore/`), which lacks partial and TTL indexes and does not name the key a
duplicate broke (docs/architecture.md "Store rules"). The platform asks the store once at start
(`detect`, by `buildInfo`: FerretDB adds `ferretdbVersion`) and puts the answer on the service's
context as `ctx.store`; code that can do better on MongoDB checks a capability and keeps the
portable path for the dev store. An unknown store gets the portable path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.errors import OperationFailure


@dataclass(frozen=True)
class StoreCapabilities:
    kind: str  # "mongodb" or "devstore"
    version: str = ""
    names_duplicate_key: bool = False  # DuplicateKeyError.details carries keyPattern/keyValue
    partial_indexes: bool = False  # create_index(..., partialFilterExpression=...)
    ttl_indexes: bool = False  # create_index(..., expireAfterSeconds=...) and a TTL monitor deleting by it

    @property
    def is_mongodb(self) -> bool:
        return self.kind == "mongodb"

    def describe(self) -> str:
        return f"MongoDB {self.version}" if self.is_mongodb else "the dev store (FerretDB)"


DEV_STORE = StoreCapabilities("devstore")
"""The portable path: what a service assumes until the store says otherwise."""


def mongodb(version: str) -> StoreCapabilities:
    return StoreCapabilities("mongodb", version, names_duplicate_key=True, partial_indexes=True, ttl_indexes=True)


def of_build_info(info: Mapping[str, Any]) -> StoreCapabilities:
    """What `buildInfo` says: FerretDB (our dev store) reports `ferretdbVersion` beside a MongoDB version."""
    if "ferretdbVersion" in info or "ferretdbFeatures" in info:
        return StoreCapabilities("devstore", str(info.get("ferretdbVersion", "")))
    return mongodb(str(info.get("version", "")))


async def detect(client: Any) -> StoreCapabilities:
    """Ask the store behind an AsyncMongoClient once (at start)."""
    return of_build_info(await client.admin.command("buildInfo"))


def duplicate_key(exc: OperationFailure) -> dict[str, Any] | None:
    """The key a duplicate broke, `{field: value, ...}`, when the store names it (MongoDB's
    `keyValue`); None when it does not (the dev store answers E11000, DuplicateKeyError, for inserts
    and updates alike, but without the key), and the caller asks the store who holds it."""
    details = exc.details or {}
    named = details.get("keyValue")
    if named is None:  # a bulk write's error is one of `writeErrors`
        errors = details.get("writeErrors") or [{}]
        named = errors[0].get("keyValue")
    return dict(named) if isinstance(named, Mapping) else None
