"""Who may use notify: the roles per kind of call, judged after the branch scope.

Out of scope is 404 whatever the role (a 403 would confirm that another branch's object or
name exists); a role that may not do this in its own branch is 403. Partners (channel
agencies) use nothing of notify: messages, templates, contacts and opt-outs are the office's.
Finance (财务) records and lists opt-outs only.
"""

from __future__ import annotations

from crm_shared.http.auth import Principal, Role

READERS: tuple[Role, ...] = ("admin", "manager", "consultant", "reception", "integrator")
"""The branch's message log: the sales office, not finance (its notices reach it by SMS or email)."""
OPT_OUT_TAKERS: tuple[Role, ...] = (*READERS, "finance")
"""Who records and lists a customer's opt-out: any staff a customer may tell to stop, finance too (回款 calls)."""
SENDERS: tuple[Role, ...] = ("admin", "manager", "integrator")
EDITORS: tuple[Role, ...] = ("admin", "manager")
REVEAL: tuple[Role, ...] = ("admin", "manager")
"""Roles that may reveal a message's full recipient, one message at a time and audited
(`GET /v1/messages/{id}/recipient`); every answer shows every role the mask (issue 19). Integrators
never: they know the numbers they send to, and are not shown the office's."""


def allow(who: Principal, branch_id: str, roles: tuple[Role, ...], what: str = "branch") -> None:
    """The branch first (404 when it is not the caller's), then the role (403)."""
    who.require_branch(branch_id, what)
    who.require_role(*roles)
