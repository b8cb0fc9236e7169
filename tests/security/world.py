"""A world of two branches, A and B, with one of everything per owner, and a valid request for
every operation of the all-in-one OpenAPI document aimed at a chosen target.

Used by the security matrix (`test_matrix.py`), the personal-data checks
(`test_personal_data.py`) and the hostile-input fuzz pass (`tests/fuzz/test_hostile_inputs.py`).
Everything is done through HTTP (no store access), so the same world runs in-process over
ASGI or against a uvicorn server.

Who is who, in branch A (B has the same cast):

- admin: sub `admin-<branch>` with branches [A] (an admin of one branch; `*` would see B);
- manager, consultant (= `c1`), reception: staff members created through `POST /v1/staff`;
- `c2`: a second consultant, the "other owner" of the same branch;
- partner: the partner account `p1` (registered with `POST /v1/partners`; its id is the token's
  `sub`), `p2` is another agent of the branch;
- integrator: `integrator-1`.

Targets: `own` is the caller's own object (the consultant's `c1` lead, appointment, visit,
reception, `p1`'s report, dispute and account, the caller's own staff record, the front desk's
own import; for roles that own nothing of the kind, `c1`'s / `p1`'s object), `other` the same
kind in the same branch owned by the other owner (`c2`, `p2`, the manager's import; for messages
and referrers simply a second one), `foreign` the "own" object of branch B.
Operations without an object in the path are aimed at A (`own`) or B (`foreign`) through their
branch id (path, query or body).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from crm_shared.http.auth import mint_token

ROLES = ("admin", "manager", "consultant", "reception", "finance", "partner", "integrator")
STAFF_ROLES = ("manager", "consultant", "reception", "finance")  # roles that have a staff record in the branch
OPS_PATHS = {"/healthz", "/readyz", "/metrics", "/asyncapi", "/asyncapi.json"}
PUBLIC = {  # reachable without a token by design (docs/contract.md)
    ("GET", "/v1/opt-outs/unsubscribe"), ("POST", "/v1/opt-outs/unsubscribe"),  # the signed link in a message
    ("POST", "/v1/providers/{name}/receipts"),  # provider callbacks, authenticated by the provider's token/signature
}
OBJECT_PARAMS = {"lead_id": "lead", "report_id": "report", "dispute_id": "dispute", "message_id": "message",
                 "appointment_id": "appointment", "visit_id": "visit", "reception_id": "reception", "staff_id": "staff",
                 "job_id": "import", "partner_id": "partner", "referrer_id": "referrer"}
# Operations whose object is named in the query or body instead of the path.
OBJECT_ELSEWHERE = {
    ("GET", "/v1/pool/quota"): "staff_id: own = the caller's own quota, other = c2's",
    ("POST", "/v1/attribution-disputes"): "report_id: partner-1's / partner-2's report",
    ("POST", "/v1/rotation/{branch_id}/join"): "consultant_id: c1 (the caller, for a consultant) / c2",
    ("POST", "/v1/rotation/{branch_id}/leave"): "consultant_id: c1 (the caller, for a consultant) / c2",
}
# The kind of object an operation's path parameter stands for, where it is not the plain kind.
SPECIAL_KIND = {
    ("POST", "/v1/leads/{lead_id}/claim"): "claimable_lead",  # own/foreign: a pool lead; other: c2's owned lead
    ("POST", "/v1/staff/{staff_id}/leave"): "fresh_staff",  # always a fresh staff member
    ("PATCH", "/v1/staff/{staff_id}"): "fresh_staff",
    ("POST", "/v1/receptions/{reception_id}/feedback"): "approved_reception",
}
NOBODY = object()

_numbers = itertools.count(20_000_000)
ISSUED: set[str] = set()  # every customer number handed out, wherever it went


def customer_phone() -> str:
    """A fresh mainland mobile number (national form) for a customer."""
    number = f"137{next(_numbers):08d}"
    ISSUED.add(number)
    return number


def e164(national: str) -> str:
    return "+86" + national


def masked(national: str) -> str:
    return f"{national[:3]}****{national[-4:]}"


# ---------------------------------------------------------------------------------------------
# The OpenAPI document


def operations(spec: dict, *, public: bool = False) -> list[tuple[str, str]]:
    """Every (METHOD, path) of the document, ops endpoints left out (and the public ones unless asked)."""
    ops = []
    for path, items in spec["paths"].items():
        if path in OPS_PATHS:
            continue
        for method in items:
            if method.lower() in ("get", "post", "put", "patch", "delete"):
                op = (method.upper(), path)
                if public or op not in PUBLIC:
                    ops.append(op)
    return ops


def operation(spec: dict, op: tuple[str, str]) -> dict:
    return spec["paths"][op[1]][op[0].lower()]


def body_schema(spec: dict, op: tuple[str, str]) -> dict | None:
    content = operation(spec, op).get("requestBody", {}).get("content", {})
    media = content.get("application/json") or content.get("multipart/form-data")
    if not media:
        return None
    return resolve(spec, media.get("schema", {}))


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "anyOf" in schema:  # Optional[Model]
        for alt in schema["anyOf"]:
            if alt.get("type") != "null":
                return resolve(spec, alt)
    return schema


def targets_of(spec: dict, op: tuple[str, str]) -> tuple[str, ...]:
    """`own, other, foreign` when the operation names an object; `own, foreign` when it names only
    a branch (path, query or body); `own` alone when it names neither."""
    method, path = op
    names = re.findall(r"\{(\w+)\}", path)
    if any(n in OBJECT_PARAMS for n in names) or op in OBJECT_ELSEWHERE:
        return ("own", "other", "foreign")
    params = {p["name"] for p in operation(spec, op).get("parameters", []) if p["in"] in ("query", "path")}
    schema = body_schema(spec, op) or {}
    if "branch_id" in params or "branch_id" in schema.get("properties", {}) or op == ("POST", "/v1/branches"):
        return ("own", "foreign")
    return ("own",)


# ---------------------------------------------------------------------------------------------
# The world


@dataclass
class Side:
    """One branch: its id, staff and objects (kind -> owner key -> id)."""

    id: str
    staff: dict[str, str] = field(default_factory=dict)  # manager, c1, c2, reception -> staff id
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)  # object id -> the customer's national number
    staff_phones: dict[str, str] = field(default_factory=dict)  # staff id -> national number
    staff_emails: dict[str, str] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)  # p1, p2 -> partner account id (the partner's `sub`)
    partner_phones: dict[str, str] = field(default_factory=dict)

    def put(self, kind: str, owner: str, object_id: str) -> None:
        self.objects.setdefault(kind, {})[owner] = object_id

    def ids(self) -> set[str]:
        return set(self.staff.values()) | set(self.partners.values()) | {
            i for kinds in self.objects.values() for i in kinds.values()}


@dataclass
class Call:
    """One concrete request."""

    method: str
    path: str
    params: dict = field(default_factory=dict)
    json: Any = NOBODY
    files: dict | None = None
    data: dict | None = None
    sub: str | None = None  # the caller's sub when it is not the role's default (e.g. a fresh staff member)

    def kwargs(self) -> dict:
        kw: dict = {"params": self.params}
        if self.json is not NOBODY:
            kw["json"] = self.json
        if self.files is not None:
            kw["files"] = self.files
        if self.data is not None:
            kw["data"] = self.data
        return kw

    def text(self) -> str:
        """Everything the caller sent, to tell an echo from a reveal."""
        return f"{self.path} {self.params} {self.json if self.json is not NOBODY else ''} {self.data or ''} {self.files or ''}"


class World:
    """Two branches with their people and objects, and factories for fresh objects."""

    def __init__(self, client: httpx.AsyncClient, settings, tag: str | None = None) -> None:
        self.client, self.settings = client, settings
        tag = tag or uuid.uuid4().hex[:6]
        self.a, self.b = Side(f"mx-{tag}-north"), Side(f"mx-{tag}-south")  # neither id contains the other
        self._slot = itertools.count()
        self.base = (datetime.now(UTC) + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
        self.today = date.today()

    # --- callers

    def token(self, role: str, sub: str, branches: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.settings, sub, role, branches)}"}  # type: ignore[arg-type]

    def sub(self, role: str, side: Side | None = None) -> str:
        side = side or self.a
        return {"admin": f"admin-{side.id}", "manager": side.staff.get("manager", "manager-x"),
                "consultant": side.staff.get("c1", "c1-x"), "reception": side.staff.get("reception", "desk-x"),
                "finance": side.staff.get("finance", f"finance-{side.id}"),
                "partner": side.partners.get("p1", "partner-x"), "integrator": "integrator-1"}[role]

    def as_(self, role: str, sub: str | None = None, side: Side | None = None) -> dict[str, str]:
        """A caller of `role` in one branch (A unless told)."""
        side = side or self.a
        return self.token(role, sub or self.sub(role, side), [side.id])

    @property
    def root(self) -> dict[str, str]:
        return self.token("admin", "admin-root", ["*"])

    def side(self, target: str) -> Side:
        return self.b if target == "foreign" else self.a

    def other_side(self, side: Side) -> Side:
        return self.b if side is self.a else self.a

    async def call(self, method: str, path: str, headers: dict, expect=(200, 201, 202), retry_unknown: bool = False,
                   **kw) -> dict:
        """A setup call that must succeed; retried while another service has not yet heard of the staff
        or lead it names (422 `/unknown-*`, eventual consistency through events)."""
        for _ in range(200):
            r = await self.client.request(method, path, headers=headers, **kw)
            kind = r.json().get("type", "") if r.headers.get("content-type", "").endswith("json") and r.content else ""
            if retry_unknown and r.status_code == 422 and "/unknown-" in str(kind):
                await asyncio.sleep(0.1)
                continue
            break
        assert r.status_code in expect, f"setup {method} {path}: {r.status_code} {r.text[:400]}"
        return r.json() if r.content else {}

    def slot(self, minutes: int = 60) -> tuple[str, str]:
        start = self.base + timedelta(hours=next(self._slot))
        return start.isoformat(), (start + timedelta(minutes=minutes)).isoformat()

    # --- building

    async def build(self) -> World:
        for side in (self.a, self.b):
            await self.call("POST", "/v1/branches", self.root,
                            json={"id": side.id, "name": f"矩阵{side.id[-5:]}", "timezone": "Asia/Shanghai"})
            for key, role in (("manager", "manager"), ("c1", "consultant"), ("c2", "consultant"), ("reception", "reception"),
                              ("finance", "finance")):
                side.staff[key] = await self.new_staff(side, role, name=f"{key}-{side.id[-5:]}")
            for key in ("p1", "p2"):
                side.partners[key] = await self.new_partner(side, name=f"{key}-{side.id[-5:]}")
        for side in (self.a, self.b):
            await self._populate(side)
        return self

    async def _populate(self, side: Side) -> None:
        for owner in ("c1", "c2"):
            side.put("lead", owner, await self.new_lead(side, owner))
        side.put("pool_lead", "c2", await self.new_pool_lead(side))
        for partner in ("p1", "p2"):
            side.put("report", partner, await self.new_report(side, partner))
            side.put("dispute", partner, await self.new_dispute(side, partner, side.objects["report"][partner]))
        for owner in ("c1", "c2"):
            side.put("appointment", owner, await self.new_appointment(side, owner))
            side.put("visit", owner, await self.new_visit(side, owner))
            side.put("reception", owner, await self.new_reception(side, owner))
        side.put("message", "m1", await self.new_message(side, "manager"))
        side.put("message", "m2", await self.new_message(side, "integrator"))
        side.put("optout", "desk", await self.new_optout(side))
        side.put("import", "desk", await self.new_import(side, "reception"))
        for key in ("r1", "r2"):
            side.put("referrer", key, await self.new_referrer(side))
        side.put("import", "boss", await self.new_import(side, "manager"))

    # --- fresh objects

    async def new_staff(self, side: Side, role: str = "consultant", name: str = "新同事") -> str:
        phone, email = f"139{next(_numbers):08d}", f"{uuid.uuid4().hex[:8]}@staff.example.com"
        doc = await self.call("POST", "/v1/staff", self.root, expect=(201,), json={
            "branch_id": side.id, "name": name, "role": role, "phone": phone, "email": email})
        side.staff_phones[doc["id"]], side.staff_emails[doc["id"]] = phone, email
        return doc["id"]

    async def new_partner(self, side: Side, name: str = "张经纪") -> str:
        phone = f"136{next(_numbers):08d}"
        doc = await self.call("POST", "/v1/partners", self.root, expect=(201,), json={
            "branch_id": side.id, "name": name, "kind": "agent", "phone": phone})
        side.partner_phones[doc["id"]] = phone
        return doc["id"]

    async def new_referrer(self, side: Side) -> str:
        phone = customer_phone()
        doc = await self.call("POST", "/v1/referrers", self.root, expect=(201,), json={
            "branch_id": side.id, "name": "李业主", "phone": phone, "kind": "owner"})
        side.customers[doc["id"]] = phone
        return doc["id"]

    async def new_lead(self, side: Side, owner: str = "c1") -> str:
        phone = customer_phone()
        doc = await self.call("POST", "/v1/leads", self.as_("consultant", side.staff[owner], side), expect=(201,), json={
            "branch_id": side.id, "source": {"channel": "phone"},
            "customer": {"name": "矩阵客户", "phone": phone, "email": f"lead{phone}@mail.example.com", "birthday": "2001-08-08"}})
        side.customers[doc["id"]] = phone
        return doc["id"]

    async def new_pool_lead(self, side: Side) -> str:
        lead = await self.new_lead(side, "c2")
        await self.call("POST", f"/v1/leads/{lead}/release", self.as_("manager", side=side))
        return lead

    async def new_report(self, side: Side, partner: str = "p1") -> str:
        phone = customer_phone()
        doc = await self.call("POST", "/v1/channel-reports", self.as_("partner", side.partners[partner], side), expect=(201,),
                              json={"branch_id": side.id, "customer_name": "报备客户", "phone": phone})
        side.customers[doc["id"]] = phone
        return doc["id"]

    async def new_dispute(self, side: Side, partner: str = "p1", report: str | None = None) -> str:
        report = report or await self.new_report(side, partner)
        doc = await self.call("POST", "/v1/attribution-disputes", self.as_("partner", side.partners[partner], side),
                              expect=(201,), json={"report_id": report, "claim": "我方先报备"})
        return doc["id"]

    def appointment_body(self, side: Side, consultant: str, phone: str | None = None) -> dict:
        start, end = self.slot()
        phone = phone or customer_phone()
        return {"branch_id": side.id, "consultant_id": consultant, "kind": "office_visit", "start": start, "end": end,
                "customer": {"name": "预约客户", "phone": phone, "email": f"appt{phone}@mail.example.com"}, "party_size": 1}

    async def new_appointment(self, side: Side, owner: str = "c1") -> str:
        body = self.appointment_body(side, side.staff[owner])
        doc = await self.call("POST", "/v1/appointments", self.as_("reception", side=side), expect=(201,),
                              retry_unknown=True, json=body)
        side.customers[doc["id"]] = body["customer"]["phone"]
        return doc["id"]

    async def free(self, side: Side, consultant: str) -> None:
        """End the visitors waiting in the branch and those the consultant serves: a busy consultant's
        visitor would wait instead of being theirs."""
        desk = self.as_("reception", side=side)
        for status in ("waiting", "open"):
            r = await self.client.get("/v1/visits", params={"branch_id": side.id, "status": status, "limit": 500}, headers=desk)
            assert r.status_code == 200, r.text
            for visit in r.json()["items"]:
                if status == "waiting" or visit.get("consultant_id") == consultant:
                    await self.call("POST", f"/v1/visits/{visit['id']}/end", desk, json={})

    async def new_visit(self, side: Side, owner: str = "c1") -> str:
        """A visit its consultant serves (status open)."""
        appointment = await self.new_appointment(side, owner)
        await self.free(side, side.staff[owner])
        phone = customer_phone()
        doc = await self.call("POST", "/v1/visits", self.as_("reception", side=side), expect=(201,), json={
            "branch_id": side.id, "appointment_id": appointment, "visitor": {"name": "来访客户", "phone": phone}})
        assert doc["consultant_id"] == side.staff[owner] and doc["status"] == "open", doc
        side.customers[doc["id"]] = phone
        return doc["id"]

    def reception_body(self, side: Side) -> dict:
        start, end = self.slot()
        arrive = datetime.fromisoformat(start) + timedelta(days=10)
        return {"branch_id": side.id, "class": "D", "guests": [{"name": "贵宾"}], "purpose": "项目洽谈",
                "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=1)).isoformat()}

    async def new_reception(self, side: Side, owner: str = "c1", approved: bool = False) -> str:
        doc = await self.call("POST", "/v1/receptions", self.as_("consultant", side.staff[owner], side), expect=(201,),
                              retry_unknown=True, json=self.reception_body(side))
        if approved:
            await self.call("POST", f"/v1/receptions/{doc['id']}/approve", self.as_("manager", side=side), json={})
        return doc["id"]

    async def new_message(self, side: Side, sender: str = "manager") -> str:
        phone = customer_phone()
        doc = await self.call("POST", "/v1/messages", self.as_(sender, side=side), expect=(202,), json={
            "branch_id": side.id, "channel": "sms", "to": phone, "body": "您好，欢迎到访", "send_at": "2031-01-01T00:00:00Z"})
        side.customers[doc["id"]] = phone
        return doc["id"]

    async def new_optout(self, side: Side) -> str:
        phone = customer_phone()
        await self.call("POST", "/v1/opt-outs", self.as_("reception", side=side),
                        json={"branch_id": side.id, "channel": "sms", "to": phone})
        side.customers[f"optout:{phone}"] = phone
        return phone

    async def new_import(self, side: Side, uploader: str = "reception") -> str:
        phone = customer_phone()
        sheet = f"姓名,电话\n导入客户,{phone}\n".encode()
        doc = await self.call("POST", "/v1/leads/import", self.as_(uploader, side=side), expect=(200, 202),
                              files={"file": ("leads.csv", sheet, "text/csv")}, data={"branch_id": side.id})
        side.customers[doc["id"]] = phone
        return doc["id"]

    # --- what must never cross a line

    def foreign_markers(self, side: Side) -> set[str]:
        """Strings that only another branch's data holds: its id, its objects' ids, its customers' numbers."""
        other = self.other_side(side)
        return {other.id} | other.ids() | set(other.customers.values())

    def customer_numbers(self) -> set[str]:
        return set(self.a.customers.values()) | set(self.b.customers.values()) | ISSUED


# ---------------------------------------------------------------------------------------------
# One case: (operation, role, target) -> a valid request


@dataclass
class Case:
    world: World
    spec: dict
    op: tuple[str, str]
    role: str
    target: str
    fresh: bool = False  # make new objects for a call expected to change them
    sub: str | None = None

    @property
    def side(self) -> Side:
        return self.world.side(self.target)

    @property
    def owner(self) -> str:
        return "c2" if self.target == "other" else "c1"

    @property
    def partner(self) -> str:
        return "p2" if self.target == "other" else "p1"

    def me(self) -> str | None:
        """The caller's own staff record in the target's branch, if its role has one."""
        key = {"manager": "manager", "consultant": "c1", "reception": "reception", "finance": "finance"}.get(self.role)
        return self.side.staff[key] if key else None

    def colleague(self, consultant_key: str) -> str:
        return self.side.staff["c2" if consultant_key == "c1" else "c1"]

    async def obj(self, kind: str) -> str:
        w, side = self.world, self.side
        if kind == "lead":
            return await w.new_lead(side, self.owner) if self.fresh else side.objects["lead"][self.owner]
        if kind == "claimable_lead":
            if self.target == "other":
                return side.objects["lead"]["c2"]  # owned by a colleague: not in the pool
            return await w.new_pool_lead(side) if self.fresh else side.objects["pool_lead"]["c2"]
        if kind == "report":
            return await w.new_report(side, self.partner) if self.fresh else side.objects["report"][self.partner]
        if kind == "dispute":
            return await w.new_dispute(side, self.partner) if self.fresh else side.objects["dispute"][self.partner]
        if kind == "message":
            key = "m2" if self.target == "other" else "m1"
            return await w.new_message(side, "manager" if key == "m1" else "integrator") if self.fresh else side.objects["message"][key]
        if kind == "appointment":
            return await w.new_appointment(side, self.owner) if self.fresh else side.objects["appointment"][self.owner]
        if kind == "visit":
            return await w.new_visit(side, self.owner) if self.fresh else side.objects["visit"][self.owner]
        if kind == "reception":
            return await w.new_reception(side, self.owner) if self.fresh else side.objects["reception"][self.owner]
        if kind == "approved_reception":
            return await w.new_reception(side, self.owner, approved=True) if self.fresh else side.objects["reception"][self.owner]
        if kind == "partner":
            return side.partners[self.partner]
        if kind == "referrer":
            return side.objects["referrer"]["r2" if self.target == "other" else "r1"]
        if kind == "import":  # own: the front desk's upload, other: the manager's
            return side.objects["import"]["boss" if self.target == "other" else "desk"]
        if kind == "staff":
            if self.target == "other":
                return side.staff["c2"]
            return self.me() or side.staff["c1"]
        if kind == "fresh_staff":  # own: a fresh record of the caller's own (staff) role, acting as it
            if self.target == "own" and self.role in STAFF_ROLES:
                new = await w.new_staff(side, self.role)
                self.sub = new
                return new
            return await w.new_staff(side, "consultant")
        if kind in EXTRA_KINDS:
            return await EXTRA_KINDS[kind](self)
        raise KeyError(kind)

    async def path(self) -> str:
        out = self.op[1]
        for name in re.findall(r"\{(\w+)\}", out):
            if name == "branch_id":
                value = self.side.id
            elif name == "key":
                value = "holiday_greeting"
            elif name == "name":
                value = "console"
            else:
                value = await self.obj(SPECIAL_KIND.get(self.op, OBJECT_PARAMS[name]))
            out = out.replace("{" + name + "}", value)
        return out

    async def query(self) -> dict:
        params: dict = {}
        for p in operation(self.spec, self.op).get("parameters", []):
            if p["in"] != "query":
                continue
            name, required = p["name"], p.get("required", False)
            if name == "branch_id":
                params[name] = self.side.id
            elif name == "from" and required:
                params[name] = (self.world.today - timedelta(days=7)).isoformat()
            elif name == "to" and required:
                params[name] = self.world.today.isoformat()
            elif name == "date" and required:
                params[name] = self.world.base.date().isoformat()
            elif name == "consultant_id" and required:
                params[name] = self.side.staff["c1"]
            elif name == "reason":
                params[name] = "客户要求回电"
            elif name == "staff_id" and self.target == "other":
                params[name] = self.side.staff["c2"]
            elif name == "phone_masked" and required:
                params[name] = masked(self.side.customers[self.side.objects["report"]["p1"]])
            elif name == "customer_name" and required:
                params[name] = "报备客户"
            elif name in EXTRA_QUERY:
                params[name] = await EXTRA_QUERY[name](self)
            elif required:
                params[name] = "x"  # no builder knows it: the decision table will show the 422
        return params

    async def body(self) -> dict:
        """The body (json, or files+data) of a valid request; empty when the operation takes none."""
        builder = BODIES.get(self.op)
        return await builder(self) if builder else {}

    async def call(self) -> Call:
        call = Call(self.op[0], await self.path(), await self.query())
        for key, value in (await self.body()).items():
            setattr(call, key, value)
        call.sub = self.sub
        return call


# --- bodies, per operation (each must pass validation, so that only the rules decide)


def _json(value):
    async def build(case: Case) -> dict:
        return {"json": value(case) if callable(value) else value}
    return build


async def _import(case: Case) -> dict:
    sheet = f"姓名,电话\n导入客户,{customer_phone()}\n".encode()
    return {"files": {"file": ("leads.csv", sheet, "text/csv")}, "data": {"branch_id": case.side.id}}


async def _dispute(case: Case) -> dict:
    return {"json": {"report_id": await case.obj("report"), "claim": "我方先报备"}}


def _queue(case: Case) -> dict:
    if case.target == "other":
        return {"consultant_id": case.side.staff["c2"]}
    return {"consultant_id": case.side.staff["c1"]}  # the caller itself, for a consultant


def _appointment(case: Case) -> dict:
    return case.world.appointment_body(case.side, case.me() if case.role == "consultant" else case.side.staff["c1"])


async def _visit(case: Case) -> dict:
    appointment = await case.world.new_appointment(case.side, "c1") if case.fresh else case.side.objects["appointment"]["c1"]
    return {"json": {"branch_id": case.side.id, "appointment_id": appointment,
                     "visitor": {"name": "来访客户", "phone": customer_phone()}, "party_size": 1}}


def _reschedule(case: Case) -> dict:
    start, end = case.world.slot()
    return {"start": start, "end": end}


async def _opt_in(case: Case) -> dict:
    to = await case.world.new_optout(case.side) if case.fresh else case.side.objects["optout"]["desk"]
    return {"json": {"branch_id": case.side.id, "channel": "sms", "to": to}}


async def _assign_many(case: Case) -> dict:
    lead = await case.world.new_lead(case.side, "c1") if case.fresh else case.side.objects["lead"]["c1"]
    return {"json": {"branch_id": case.side.id, "lead_ids": [lead], "owner_id": case.side.staff["c2"], "reason": "调整分工"}}


def _assign(case: Case) -> dict:
    return {"owner_id": case.colleague(case.owner)}


BODIES = {
    ("POST", "/v1/leads/import"): _import,
    ("POST", "/v1/branches"): _json(lambda c: {"id": c.side.id, "name": f"矩阵{c.side.id[-5:]}", "timezone": "Asia/Shanghai"}),
    ("POST", "/v1/staff"): _json(lambda c: {"branch_id": c.side.id, "name": "新同事", "role": "consultant"}),
    ("POST", "/v1/leads"): _json(lambda c: {"branch_id": c.side.id, "source": {"channel": "walk_in"},
                                            "customer": {"name": "新客户", "phone": customer_phone()}}),
    ("PATCH", "/v1/leads/{lead_id}"): _json({"grade": "A"}),
    ("POST", "/v1/leads/{lead_id}/follow-ups"): _json({"kind": "call", "note": "电话回访"}),
    ("POST", "/v1/leads/{lead_id}/close"): _json({"outcome": "lost", "reason": "price"}),
    ("POST", "/v1/leads/{lead_id}/assign"): _json(_assign),
    ("POST", "/v1/leads/assign"): _assign_many,
    ("PATCH", "/v1/staff/{staff_id}"): _json({"name": "改名同事"}),
    ("POST", "/v1/channel-reports"): _json(lambda c: {"branch_id": c.side.id, "customer_name": "报备客户",
                                                      "phone": customer_phone()}),
    ("POST", "/v1/attribution-disputes"): _dispute,
    ("POST", "/v1/channel-reports/{report_id}/follow-ups"): _json({"note": "电话回访，客户周六再来"}),
    ("POST", "/v1/partners"): _json(lambda c: {"branch_id": c.side.id, "name": "新经纪", "kind": "agent"}),
    ("POST", "/v1/partners/{partner_id}/arrivals"): _json(lambda c: {"visit_id": c.side.objects["visit"]["c1"]}),
    ("POST", "/v1/referrers"): _json(lambda c: {"branch_id": c.side.id, "name": "王业主", "phone": customer_phone(),
                                                "kind": "owner"}),
    ("POST", "/v1/attribution-disputes/{dispute_id}/decision"): _json({"winner": None, "reason": "证据不足"}),
    ("POST", "/v1/messages"): _json(lambda c: {"branch_id": c.side.id, "channel": "sms", "to": customer_phone(),
                                               "body": "您好", "send_at": "2031-01-01T00:00:00Z"}),
    ("PUT", "/v1/templates/{key}"): _json(lambda c: {"channel": "sms", "body": "{{ holiday }}快乐", "branch_id": c.side.id}),
    ("POST", "/v1/opt-outs"): _json(lambda c: {"branch_id": c.side.id, "channel": "sms", "to": customer_phone()}),
    ("DELETE", "/v1/opt-outs"): _opt_in,
    ("POST", "/v1/campaigns"): _json(lambda c: {
        "branch_id": c.side.id, "template": "holiday_greeting", "audience": {"to": [customer_phone()]},
        "data": {"holiday": "春节", "customer_name": "王先生", "branch_name": "售楼处"}, "send_at": "2031-01-01T00:00:00Z"}),
    ("POST", "/v1/contacts"): _json(lambda c: {"branch_id": c.side.id, "name": "王先生", "phone": customer_phone()}),
    ("POST", "/v1/appointments"): _json(_appointment),
    ("PATCH", "/v1/appointments/{appointment_id}"): _json(_reschedule),
    ("POST", "/v1/appointments/{appointment_id}/cancel"): _json({"reason": "客户改期"}),
    ("POST", "/v1/visits"): _visit,
    ("POST", "/v1/visits/{visit_id}/end"): _json({"outcome": "interested"}),
    ("POST", "/v1/visits/{visit_id}/assign"): _json(lambda c: {"consultant_id": c.colleague(c.owner), "reason": "归属顾问休假"}),
    ("POST", "/v1/rotation/{branch_id}/join"): _json(_queue),
    ("POST", "/v1/rotation/{branch_id}/leave"): _json(_queue),
    ("POST", "/v1/receptions"): _json(lambda c: c.world.reception_body(c.side)),
    ("POST", "/v1/receptions/{reception_id}/approve"): _json({"note": "同意"}),
    ("POST", "/v1/receptions/{reception_id}/reject"): _json({"reason": "预算不足"}),
    ("POST", "/v1/receptions/{reception_id}/feedback"): _json({"summary": "接待顺利", "spent": 100}),
    ("POST", "/v1/opt-outs/unsubscribe"): _json(None),
    ("POST", "/v1/providers/{name}/receipts"): _json({"receipts": []}),
}


# ---------------------------------------------------------------------------------------------
# Phones in answers

FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(1[3-9]\d{9})(?![0-9A-Za-z])")


def full_numbers(text: str) -> set[str]:
    """Every full mainland mobile number in a text, as its 11 national digits (masks `138****5678` never match)."""
    return set(FULL_NUMBER.findall(text))


# ---------------------------------------------------------------------------------------------
# Per-part tables: every module `tests/security/matrix_*.py` adds its lines and builders (see
# matrix_example.py). Each service part keeps its decisions beside the others without editing this file.

EXTRA_TABLES: list[str] = []
EXTRA_KINDS: dict = {}  # kind -> async builder(case) -> object id
EXTRA_QUERY: dict = {}  # query parameter -> async builder(case) -> value
FLOOR_KINDS: set[str] = set()  # kinds of object a partner must never see (the office's floor)
EXTRA_SCOPE: dict = {"REFERENCES": {}, "ROLE": {}, "EXEMPT": {}}  # test_scope.py's tables, per part


def _load_parts() -> None:
    import importlib
    import pkgutil

    import tests.security as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("matrix_"):
            continue
        part = importlib.import_module(f"tests.security.{info.name}")
        EXTRA_TABLES.append(part.TABLE)
        BODIES.update(getattr(part, "BODIES", {}))
        EXTRA_KINDS.update(getattr(part, "KINDS", {}))
        EXTRA_QUERY.update(getattr(part, "QUERY", {}))
        OBJECT_PARAMS.update(getattr(part, "PARAMS", {}))
        SPECIAL_KIND.update(getattr(part, "SPECIAL_KIND", {}))
        OBJECT_ELSEWHERE.update(getattr(part, "OBJECT_ELSEWHERE", {}))
        FLOOR_KINDS.update(getattr(part, "FLOOR", ()))
        for table, entries in EXTRA_SCOPE.items():
            entries.update(dict.fromkeys(getattr(part, table)) if table == "EXEMPT" and hasattr(part, table)
                           else getattr(part, table, {}))


_load_parts()
