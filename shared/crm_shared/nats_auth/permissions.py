"""What an integrator's NATS user may do: pure rules, no I/O (unit-tested).

An integrator (CRM role `integrator`, id X, branches B) gets a NATS user that may

- subscribe to `<prefix>.<b>.>` for each b in B (all of `<prefix>.>` for `*`): live events;
- subscribe to its own inbox `_INBOX_X.>` only (so it connects with `inbox_prefix="_INBOX_X"`):
  it never sees another client's replies, pushes or JetStream answers;
- create, read, pull from and delete JetStream consumers on the event stream whose **name** is
  one of its own (`X`, `X-live`, `X-1` ... `X-<n>`) and whose **filter** lies inside its branches:
  the create subject carries both (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`, NATS
  ≥ 2.10), and the server refuses a request whose filter differs from the subject's. A name of
  its own means it can neither pull from nor re-filter a service's or another integrator's
  consumer;
- ack and answer flow control on those consumers (`$JS.ACK.<stream>.<name>.>`,
  `$JS.FC.<stream>.<name>.>`);

and nothing else: no publish on `<prefix>.>` (events come only from the services), no stream
API (info, purge, direct get), no other account or system subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_shared.config import Settings

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANONYMOUS_ID = "anonymous"


class NotAllowed(ValueError):
    """The connection may not have a NATS user (the reason goes to the server's log)."""


@dataclass(frozen=True)
class Grant:
    """A NATS user for one connection."""

    name: str
    pub_allow: list[str]
    sub_allow: list[str]
    pub_deny: list[str]
    inbox_prefix: str
    consumers: list[str]

    def nats_claims(self) -> dict:
        """The `nats` part of a user JWT (nats-io/jwt v2 `User`)."""
        return {
            "pub": {"allow": self.pub_allow, "deny": self.pub_deny},
            "sub": {"allow": self.sub_allow},
            "subs": -1, "data": -1, "payload": -1,
            "type": "user", "version": 2,
        }


def inbox_prefix(integrator_id: str) -> str:
    return f"_INBOX_{integrator_id}"


def consumer_names(integrator_id: str, numbered: int) -> list[str]:
    return [integrator_id, f"{integrator_id}-live", *(f"{integrator_id}-{i}" for i in range(1, numbered + 1))]


def branch_subjects(settings: Settings, branches: list[str]) -> list[str]:
    """`<prefix>.<b>.>` per branch; `*` is every branch."""
    if "*" in branches:
        return [f"{settings.subject_prefix}.>"]
    subjects = []
    for branch in sorted(set(branches)):
        if not ID_PATTERN.match(branch):  # a token with `.`, `*` or `>` would widen the grant
            raise NotAllowed(f"branch id {branch!r} cannot be a subject token")
        subjects.append(f"{settings.subject_prefix}.{branch}.>")
    return subjects


def integrator_grant(settings: Settings, integrator_id: str, branches: list[str], numbered: int = 8) -> Grant:
    if not ID_PATTERN.match(integrator_id):
        raise NotAllowed(f"integrator id {integrator_id!r} must be 1-64 of A-Z a-z 0-9 _ - to name its inbox and consumers")
    if not branches:
        raise NotAllowed("the token names no branch")
    filters = branch_subjects(settings, branches)
    stream = settings.stream_name
    names = consumer_names(integrator_id, numbered)
    pub = []
    for name in names:
        pub += [f"$JS.API.CONSUMER.CREATE.{stream}.{name}.{f}" for f in filters]
        pub += [f"$JS.API.CONSUMER.INFO.{stream}.{name}", f"$JS.API.CONSUMER.DELETE.{stream}.{name}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{name}", f"$JS.ACK.{stream}.{name}.>", f"$JS.FC.{stream}.{name}.>"]
    inbox = inbox_prefix(integrator_id)
    return Grant(
        name=f"integrator:{integrator_id}",
        pub_allow=pub,
        sub_allow=[*filters, f"{inbox}.>"],
        pub_deny=[f"{settings.subject_prefix}.>", f"{settings.dead_letter_prefix}.>"],
        inbox_prefix=inbox,
        consumers=names,
    )


def decide(settings: Settings, role: str | None, sub: str | None, branches: list[str] | None,
           numbered: int = 8) -> Grant:
    """The grant for a connection: a verified CRM token's role, id and branches, or `None`s for a
    connection that presented no token (anonymous)."""
    if role is None:
        if settings.environment == "development":  # `nats sub 'crm.>'` on a developer's machine: read-only
            return integrator_grant(settings, ANONYMOUS_ID, ["*"], numbered)
        raise NotAllowed("anonymous connections are refused: connect with a services' credential or an integrator's CRM token")
    if role != "integrator":
        raise NotAllowed(f"role {role!r} may not connect to NATS; only integrators (and the services) may")
    return integrator_grant(settings, sub or "", branches or [], numbered)
