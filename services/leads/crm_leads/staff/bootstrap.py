"""The first group administrator of a new system (`crm bootstrap-admin`).

Every way to add branches and staff over HTTP needs an administrator's or a manager's token, and a new
system has no one to hold one. The command makes the first administrator as a staff member with role
`admin` through this service's own write path (`staff.service.join`): the member and its `staff.joined`
are one write, the relay publishes the event, and every service's directory learns the name, so audit
records and notices show who acted. Run it with the settings of `crm serve` (CRM_MONGO_URL, CRM_NATS_*,
...): it runs the leads service in-process for the moment it takes, production included.

- **Idempotent.** With `--sub`, the member's id is that subject: a second run with it changes nothing
  and says so. A subject that belongs to another kind of member is refused, never promoted.
- **One first administrator.** When an active administrator exists, the command refuses unless
  `--force` (a second administrator, e.g. the first left the company).
- **Its branch.** A staff member belongs to a branch (its events go to `crm.<branch>.staff.joined`); the
  administrator's is the group's head office or any sales office. A branch that does not exist is created
  with the handbook's default settings (`branch.configured`, as `POST /v1/branches` does); an existing
  one is left as it is. The administrator's token covers every branch (`branches: ["*"]`) either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from crm_shared.bus.outbox import OUTBOX_STATE, PENDING
from crm_shared.config import Settings
from crm_shared.errors import Conflict, Invalid
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext

from crm_leads.branches import service as branches
from crm_leads.branches.models import BranchIn
from crm_leads.context import ID_FIELD
from crm_leads.staff import service as staff
from crm_leads.staff.models import AdminIn

ADMIN = "admin"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class AdminRequest:
    name: str
    branch_id: str
    branch_name: str
    sub: str | None = None
    phone: str | None = None
    email: str | None = None
    force: bool = False


@dataclass
class Outcome:
    """`created` (with `branch_created`), `exists` (the same subject, nothing written) or `refused`
    (an administrator exists and no `--force`: `admins` are they)."""

    status: Literal["created", "exists", "refused"]
    staff: dict | None = None
    branch_created: bool = False
    published: bool = True
    admins: list[dict] = field(default_factory=list)


async def bootstrap_admin(ctx: ServiceContext, request: AdminRequest) -> Outcome:
    """Make the administrator (see the module); `Invalid` or `Conflict` name what is wrong, changing nothing."""
    if request.sub is not None and not (len(request.sub) <= ID_FIELD["max_length"] and re.fullmatch(ID_FIELD["pattern"], request.sub)):
        raise Invalid("--sub must be 1-64 characters of A-Z a-z 0-9 _ . : - (map another claim with "
                      "CRM_JWT_SUBJECT_CLAIM if the identity provider's subjects look different)", loc=["sub"])
    body = _checked(AdminIn, {"branch_id": "branch"}, branch_id=request.branch_id, name=request.name,
                    phone=request.phone, email=request.email)
    branch = _checked(BranchIn, {"id": "branch", "name": "branch-name"}, id=request.branch_id, name=request.branch_name)
    if request.phone:  # checked before anything is written (join checks it again)
        try:
            normalize(request.phone, ctx.settings.default_region)
        except InvalidPhone as exc:
            raise Invalid(f"--phone: {exc}") from None
    if request.sub is not None and (held := await staff.get(ctx, request.sub)) is not None:
        if held.get("role") == ADMIN and held.get("active"):
            return Outcome("exists", staff=held)
        raise Conflict("subject-taken", f"{request.sub} is already {held['name']} ({held['role']}, "
                       f"{'active' if held.get('active') else 'left'}); choose another --sub")
    admins = await ctx.aggregate("staff").find({"role": ADMIN, "active": True}).to_list()
    if admins and not request.force:
        return Outcome("refused", admins=admins)
    branch_created = False
    if await ctx.aggregate("branches").find_one({"_id": request.branch_id}) is None:
        _, branch_created = await branches.configure(ctx, branch)
    made = await staff.join(ctx, body, staff_id=request.sub)
    published = await _published(ctx, "staff", made.id)
    if branch_created:
        published = await _published(ctx, "branches", request.branch_id) and published
    return Outcome("created", staff=await staff.get(ctx, made.id), branch_created=branch_created, published=published)


def _checked(model: type[M], options: dict[str, str], **values: object) -> M:
    """The model, or `Invalid` naming the command's options (`options`: field -> option where they differ)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise Invalid("; ".join(f"--{options.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}"
                              for e in exc.errors())) from None


async def _published(ctx: ServiceContext, collection: str, doc_id: str) -> bool:
    """Publish the document's events now (the relay, under its lease) rather than leave them to a sweep; False
    when NATS did not take them: they stay in the outbox and the next leads replica's sweep sends them."""
    await ctx.relay.flush(collection, doc_id)
    return await ctx.db[collection].find_one({"_id": doc_id, OUTBOX_STATE: PENDING}, projection={"_id": 1}) is None


async def run(settings: Settings, request: AdminRequest) -> Outcome:
    """The leads service in this process (as `crm serve --services leads` starts it) for one bootstrap."""
    from crm_shared.app import create_app
    from crm_shared.plugins import discover

    app = create_app(discover("leads"), settings)
    async with app.router.lifespan_context(app):
        return await bootstrap_admin(app.state.contexts["leads"], request)


def next_steps(settings: Settings, outcome: Outcome, token_minutes: int) -> list[str]:
    """What the operator does next: map the subject in the identity provider, or sign in with a short-lived token."""
    from crm_shared.http.auth import hs256_accepted, mint_token

    member = outcome.staff or {}
    lines = []
    if settings.jwt_jwks_url:
        role = next((name for name, mapped in settings.jwt_role_map.items() if mapped == ADMIN), ADMIN)
        lines += [
            "Identity provider (CRM_JWT_JWKS_URL): give this person's account these claims in tokens for "
            f"audience {settings.jwt_audience or '(CRM_JWT_AUDIENCE)'}:",
            f"  {settings.jwt_subject_claim} = {member['_id']}",
            f"  {settings.jwt_role_claim} = {role}",
            f"  {settings.jwt_branches_claim} = *",
        ]
    if hs256_accepted(settings):
        token = mint_token(settings, member["_id"], ADMIN, ["*"], token_minutes * 60)
        lines += [
            f"First sign-in token (HS256, valid {token_minutes} minutes; add branches and staff with it, then let "
            "people sign in as your deployment does):",
            f"  {token}",
            "  curl -H \"Authorization: Bearer $TOKEN\" https://<gateway>/v1/branches",
        ]
    return lines
