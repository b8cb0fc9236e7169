"""Property-level access (issue 14): for every answer field that holds personal data, what each
role sees of it -- the full value, a mask, nothing (absent from the answer) or no answer at all
(refused: 403/404, and the refusal carries neither the value nor its mask).

The rules (docs/contract.md "Phones", the reception and notify sections):
- a customer's full number only through the audited `GET /v1/leads/{id}/phone`, to the owner,
  managers and the front desk; every other lead answer carries the mask;
- every full number audited (issue 19): appointment, visit, message and opt-out answers carry masks
  (`138****5678`, `w***@example.com`) for every role; the full value only through one object's
  audited reveal: an appointment's contact and a visitor's phone to those who serve the customer
  (the object's own consultant, the front desk, managers), a message's recipient to managers;
  integrators and partners never; the reveal audits (`GET /v1/{appointments,visits,messages}/audit`)
  keep the mask, for managers;
- partners see the masks of their own reports and nothing else.

Cells: `own[,other]` as in the matrix (`other` defaults to `own`); values: full, masked, absent,
refused. Targets: own = c1's / partner-1's / the caller's own object, other = c2's / partner-2's.
"""

from __future__ import annotations

import pytest

from tests.security.world import ROLES, World, e164, full_numbers, masked

TABLE = """
# field                          reader                                   admin   manager  consultant     reception  finance  partner         integrator
lead.customer.phone              GET /v1/leads/{lead_id}                      masked   masked   masked,refused masked   refused  refused  refused
lead.customer.phone              GET /v1/leads                                masked   masked   masked,absent masked   refused  refused  refused
lead.customer.email              GET /v1/leads/{lead_id}                      full     full     full,refused full     refused  refused  refused
lead.customer.birthday           GET /v1/leads/{lead_id}                      full     full     full,refused full     refused  refused  refused
lead.phone (reveal, audited)     GET /v1/leads/{lead_id}/phone                full     full     full,refused full     refused  refused  refused
audit.phone_masked               GET /v1/audit                                masked   masked   refused  refused  refused  refused  refused
import.rows.phone                GET /v1/leads/import/{job_id}/rows           masked   masked   refused  masked,refused refused  refused  refused
appointment.customer.phone       GET /v1/appointments/{appointment_id}        masked   masked   masked   masked   refused  refused  masked
appointment.customer.phone       GET /v1/appointments                         masked   masked   masked   masked   refused  refused  masked
appointment.customer.email       GET /v1/appointments/{appointment_id}        masked   masked   masked   masked   refused  refused  masked
appointment.customer.email       GET /v1/appointments                         masked   masked   masked   masked   refused  refused  masked
appointment.contact (reveal)     GET /v1/appointments/{appointment_id}/contact full     full     full,refused full     refused  refused  refused
appointment-audit.phone_masked   GET /v1/appointments/audit                   masked   masked   refused  refused  refused  refused  refused
visit.visitor.phone              GET /v1/visits/{visit_id}                    masked   masked   masked   masked   refused  refused  masked
visit.visitor.phone              GET /v1/visits                               masked   masked   masked   masked   refused  refused  masked
visit.phone (reveal)             GET /v1/visits/{visit_id}/phone              full     full     full,refused full     refused  refused  refused
visit-audit.phone_masked         GET /v1/visits/audit                         masked   masked   refused  refused  refused  refused  refused
staff.phone                      GET /v1/staff/{staff_id}                     full     full     full     full     full     refused  full
staff.phone                      GET /v1/staff                                full     full     full     full     full     refused  full
staff.email                      GET /v1/staff/{staff_id}                     full     full     full     full     full     refused  full
message.to                       GET /v1/messages/{message_id}                masked   masked   masked   masked   refused  refused  masked
message.to                       GET /v1/messages                             masked   masked   masked   masked   refused  refused  masked
message.to (reveal)              GET /v1/messages/{message_id}/recipient      full     full     refused  refused  refused  refused  refused
message-audit.phone_masked       GET /v1/messages/audit                       masked   masked   refused  refused  refused  refused  refused
opt-out.to                       GET /v1/opt-outs                             masked   masked   masked   masked   masked   refused  masked
channel-report.phone             GET /v1/channel-reports/{report_id}          masked   masked   refused  refused  refused  masked,refused refused
channel-report.phone             GET /v1/channel-reports                      masked   masked   refused  refused  refused  masked,absent refused
"""

# Real findings: (field, reader, role, target) -> what is wrong. The table above says what is right.
FINDINGS: dict = {}

VALUES = {"full", "masked", "absent", "refused"}


def _parse(table: str) -> list[tuple[str, str, dict[str, tuple[str, str]]]]:
    rows = []
    for line in table.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        head, cells = line[:33].strip(), line[33:].split()
        method, path, *cells = cells
        assert len(cells) == len(ROLES), line
        row = {}
        for role, cell in zip(ROLES, cells):
            tokens = cell.split(",")
            assert set(tokens) <= VALUES and len(tokens) <= 2, line
            row[role] = (tokens[0], tokens[-1])
        rows.append((head, f"{method} {path}", row))
    return rows


ROWS = _parse(TABLE)


def _params():
    for field, reader, row in ROWS:
        for role in ROLES:
            for target in ("own", "other"):
                marks = []
                if (reason := FINDINGS.get((field, reader, role, target))) is not None:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                yield pytest.param(field, reader, role, target, id=f"{field} | {reader} | {role} | {target}", marks=marks)


def _kind(field: str) -> str:
    return field.split(".")[0]


def _object(world: World, field: str, role: str, target: str) -> str:
    """The id of the object the field belongs to (for opt-outs: the number)."""
    side, other = world.a, target == "other"
    kind = _kind(field)
    if kind in ("lead", "audit"):
        return side.objects["lead"]["c2" if other else "c1"]
    if kind == "import":
        return side.objects["import"]["boss" if other else "desk"]
    if kind == "channel-report":
        return side.objects["report"]["p2" if other else "p1"]
    if kind in ("message", "message-audit"):
        return side.objects["message"]["m2" if other else "m1"]
    if kind in ("appointment-audit", "visit-audit"):
        return side.objects[kind.removesuffix("-audit")]["c2" if other else "c1"]
    if kind == "opt-out":
        return side.objects["optout"]["desk"]
    if kind == "staff":
        mine = {"manager": "manager", "consultant": "c1", "reception": "reception"}.get(role, "c1")
        return side.staff["c2" if other else mine]
    return side.objects[kind]["c2" if other else "c1"]


def _truth(world: World, field: str, object_id: str) -> str:
    """The value as stored: a national number, an email, a date."""
    side = world.a
    if field == "staff.phone":
        return side.staff_phones[object_id]
    if field == "staff.email":
        return side.staff_emails[object_id]
    if field == "opt-out.to":
        return object_id
    number = side.customers[object_id]
    if field == "lead.customer.email":
        return f"lead{number}@mail.example.com"
    if field == "appointment.customer.email":
        return f"appt{number}@mail.example.com"
    if field == "lead.customer.birthday":
        return "2001-08-08"
    return number


def _item(body, field: str, object_id: str):
    """The object's entry in a list answer (None when it is not listed)."""
    items = body["items"] if isinstance(body, dict) and "items" in body else None
    if items is None:
        return body
    kind = _kind(field)
    for item in items:
        if kind == "opt-out" and item.get("to") in (object_id, e164(object_id), masked(object_id)):
            return item
        if kind == "audit" and item.get("lead_id") == object_id:
            return item
        if kind.endswith("-audit") and item.get("object_id") == object_id:
            return item
        if kind == "import":
            return item  # the job's one row
        if item.get("id") == object_id:
            return item
    return None


def _value(item, field: str):
    path = {
        "lead.customer.phone": ("customer", "phone_masked"), "lead.customer.email": ("customer", "email"),
        "lead.customer.birthday": ("customer", "birthday"), "lead.phone (reveal, audited)": ("phone",),
        "audit.phone_masked": ("phone_masked",), "appointment.customer.phone": ("customer", "phone"),
        "appointment.customer.email": ("customer", "email"), "visit.visitor.phone": ("visitor",),
        "staff.phone": ("phone",), "staff.email": ("email",), "message.to": ("to",), "opt-out.to": ("to",),
        "channel-report.phone": ("phone_masked",), "appointment.contact (reveal)": ("phone",),
        "visit.phone (reveal)": ("phone",), "message.to (reveal)": ("to",),
        "appointment-audit.phone_masked": ("phone_masked",), "visit-audit.phone_masked": ("phone_masked",),
        "message-audit.phone_masked": ("phone_masked",),
    }.get(field)
    if field == "import.rows.phone":  # the row report's column names follow its language: find the phone-like value
        return next((v for v in item.values() if isinstance(v, str) and ("****" in v or full_numbers(v))), None)
    value = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if field == "visit.visitor.phone" and isinstance(value, dict):
        shown = [v for k, v in value.items() if "phone" in k and k != "phone_hash"]
        return shown[0] if len(shown) == 1 else shown or None
    return value


def _classify(value, truth: str) -> str:
    if value is None:
        return "absent"
    text = str(value)
    if text in (truth, e164(truth)) or (truth.isdigit() and truth in full_numbers(text)):
        return "full"
    if truth.isdigit() and text == masked(truth):
        return "masked"
    if "@" in truth and "*" in text and text != truth:
        return "masked"
    return f"unexpected {text!r}"


REVEALS = {  # object kind -> (reveal path, audit path, roles that may reveal: of consultants only c1, the owner)
    "appointment": ("/v1/appointments/{id}/contact", "/v1/appointments/audit", ("consultant", "reception", "manager", "admin")),
    "visit": ("/v1/visits/{id}/phone", "/v1/visits/audit", ("consultant", "reception", "manager", "admin")),
    "message": ("/v1/messages/{id}/recipient", "/v1/messages/audit", ("manager", "admin")),
}


async def _reveal_once(system) -> None:
    """An audit record for every object a row reads, so the audit answers have something to show."""
    world = system.world
    if getattr(world, "_revealed", False):
        return
    for owner in ("c1", "c2"):
        lead = world.a.objects["lead"][owner]
        r = await system.client.get(f"/v1/leads/{lead}/phone", params={"reason": "核对"}, headers=world.as_("manager"))
        assert r.status_code == 200, r.text
    for kind, (path, _, _) in REVEALS.items():
        for object_id in world.a.objects[kind].values():
            r = await system.client.get(path.format(id=object_id), params={"reason": "核对"}, headers=world.as_("manager"))
            assert r.status_code == 200, r.text
    world._revealed = True


@pytest.mark.parametrize(("field", "reader", "role", "target"), list(_params()))
async def test_what_each_role_sees(system, field, reader, role, target):
    row = next(r for f, rd, r in ROWS if (f, rd) == (field, reader))
    expected = row[role][0 if target == "own" else 1]
    world = system.world
    await _reveal_once(system)
    method, path = reader.split()
    object_id = _object(world, field, role, target)
    truth = _truth(world, field, object_id)
    params = {"branch_id": world.a.id}
    if "{" in path:
        params = {"reason": "核对"} if path.endswith("/phone") else {}
        path = path.replace(path[path.index("{"):path.index("}") + 1], object_id)
    if "{" not in reader:
        params |= {"limit": 500}
    r = await system.client.request(method, path, params=params, headers=world.as_(role))
    said = f"{field} via {reader} as {role} ({target}): {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, said
    if expected == "refused":
        assert r.status_code in (403, 404), said
        assert truth not in r.text and (not truth.isdigit() or masked(truth) not in r.text), said
        return
    assert r.status_code == 200, said
    item = _item(r.json(), field, object_id)
    seen = "absent" if item is None else _classify(_value(item, field), truth)
    assert seen == expected, f"sees {seen}, the table says {expected}; {said}"
    if expected != "full" and truth.isdigit():
        assert truth not in full_numbers(r.text), f"the full number is elsewhere in the answer; {said}"


def test_the_table_gives_partners_and_integrators_no_full_customer_number():
    """Partners never; integrators only staff work phones and emails (issue 19: no customer's full number)."""
    allowed = {"staff.phone", "staff.email"}
    for field, reader, row in ROWS:
        assert "full" not in row["partner"], (field, reader)
        if field not in allowed:
            assert "full" not in row["integrator"], (field, reader)


async def test_every_reveal_is_audited_and_a_refused_one_is_not(system):
    world = system.world
    lead = world.a.objects["lead"]["c1"]
    manager = world.as_("manager")

    async def records() -> list[dict]:
        r = await system.client.get("/v1/audit", params={"branch_id": world.a.id, "lead_id": lead, "limit": 500},
                                    headers=manager)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    for role, sub, allowed in (("consultant", world.a.staff["c1"], True), ("manager", None, True),
                               ("reception", None, True), ("admin", None, True),
                               ("consultant", world.a.staff["c2"], False), ("partner", None, False),
                               ("integrator", None, False)):
        before = await records()
        r = await system.client.get(f"/v1/leads/{lead}/phone", params={"reason": f"audit {role}"},
                                    headers=world.as_(role, sub))
        after = await records()
        if allowed:
            assert r.status_code == 200 and r.json()["phone"] == e164(world.a.customers[lead]), (role, r.text)
            assert len(after) == len(before) + 1, (role, after[:1])
            newest = after[0]
            assert (newest["actor_id"], newest["actor_role"], newest["reason"]) == (sub or world.sub(role), role, f"audit {role}")
            assert world.a.customers[lead] not in str(newest), "the audit keeps the mask, not the number"
        else:
            assert r.status_code in (403, 404), (role, r.text)
            assert after == before, f"a refused reveal by {role} left an audit record"


@pytest.mark.parametrize("kind", sorted(REVEALS))
async def test_every_reveal_of_the_floor_and_messages_is_audited_and_a_refused_one_is_not(system, kind):
    world = system.world
    reveal, audit, allowed = REVEALS[kind]
    key = "m1" if kind == "message" else "c1"
    object_id = world.a.objects[kind][key]
    manager = world.as_("manager")

    async def records() -> list[dict]:
        r = await system.client.get(audit, params={"branch_id": world.a.id, f"{kind}_id": object_id, "limit": 500},
                                    headers=manager)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    truth = world.a.customers[object_id]
    for role in ROLES:
        for sub in (world.a.staff["c1"], world.a.staff["c2"]) if role == "consultant" else (None,):
            mine = role in allowed and (role != "consultant" or sub == world.a.staff["c1"])
            before = await records()
            r = await system.client.get(reveal.format(id=object_id), params={"reason": f"audit {role}"},
                                        headers=world.as_(role, sub))
            after = await records()
            if mine:
                assert r.status_code == 200 and e164(truth) in r.text, (role, sub, r.text)
                assert len(after) == len(before) + 1, (role, after[:1])
                newest = after[0]
                assert (newest["actor_id"], newest["actor_role"], newest["reason"], newest["object_id"]) == (
                    sub or world.sub(role), role, f"audit {role}", object_id)
                assert newest["phone_masked"] == masked(truth) and truth not in str(newest), "the mask, not the number"
            else:
                assert r.status_code in (403, 404) and truth not in r.text, (role, sub, r.text)
                assert after == before, f"a refused reveal by {role} left an audit record"
