"""Payouts driven by deals' own events (consumer `payouts`): a commission and a referral reward per signed
deal, pending → due only when paid in full → approved by a manager → paid by finance with a reference;
who may do what, and what a partner sees."""

from __future__ import annotations

import json
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from crm_shared.events import new_event
from crm_shared.events.deals import Attribution, DealCancelled, DealPaid, DealSigned
from crm_shared.events.leads import PartnerRegistered, ReferrerRegistered
from crm_deals.plugin import DealsService
from crm_deals.settings import DealsSettings
from tests.support.runtime import bearer, eventually, isolated_settings, publish_event, running, stream_messages

BRANCH = "sz-bay"
Y = 100


@dataclass
class Office:
    settings: object
    app: object
    client: object
    deals: dict = field(default_factory=dict)

    def as_(self, role: str, sub: str | None = None, branches: list[str] | None = None) -> dict:
        return bearer(self.settings, role, branches or [BRANCH], sub or f"{role}-1")

    @property
    def manager(self) -> dict:
        return self.as_("manager", "m1")

    @property
    def finance(self) -> dict:
        return self.as_("finance", "f1")

    async def emit(self, data, branch: str = BRANCH, subject: str | None = None):
        env = new_event(data, branch_id=branch, subject=subject or getattr(data, "deal_id", None) or "x")
        await publish_event(self.settings, env)
        return env

    async def partner(self, partner_id: str, name: str) -> None:
        await self.emit(PartnerRegistered(partner_id=partner_id, kind="agency", name=name), subject=partner_id)

    async def referrer(self, referrer_id: str, name: str, kind: str = "public") -> None:
        await self.emit(ReferrerRegistered(referrer_id=referrer_id, kind=kind, name=name), subject=referrer_id)

    def deal(self, deal_id: str | None = None, *, price: int = 300_000_000, product: str = "villa",
             partner: str | None = "p1", referrer: str | None = None, kind: str | None = "public", **kw) -> dict:
        deal_id = deal_id or f"d-{uuid.uuid4().hex[:8]}"
        base = {"deal_id": deal_id, "lead_id": f"l-{deal_id}", "unit_id": f"u-{deal_id}", "agreed_price": price,
                "product_type": product, "customer_name": "王先生", "owner_id": "c1",
                "attribution": Attribution(partner_id=partner, referrer_id=referrer,
                                           referrer_kind=kind if referrer else None), **kw}
        self.deals[deal_id] = base
        return base

    async def sign(self, deal: dict) -> None:
        await self.emit(DealSigned(**deal, contract_no=f"HT-{deal['deal_id']}", status="signed"))

    async def pay_in_full(self, deal: dict) -> None:
        await self.emit(DealPaid(**deal, paid_total=deal["agreed_price"], status="paid"))

    async def cancel(self, deal: dict, paid_total: int = 0) -> None:
        await self.emit(DealCancelled(**deal, reason="financing_failed", paid_total=paid_total, status="cancelled"))

    async def payouts(self, headers: dict | None = None, **params) -> list[dict]:
        r = await self.client.get("/v1/payouts", params={"branch_id": BRANCH, **params}, headers=headers or self.manager)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    async def settled(self, deal_id: str, want: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """Wait until the deal's payouts are exactly `want`: (kind, beneficiary id) -> (status, amount)."""
        async def check():
            items = await self.payouts(deal_id=deal_id)
            got = {(p["kind"], p["beneficiary"]["id"]): (p["status"], p["amount"]) for p in items}
            return {(p["kind"], p["beneficiary"]["id"]): p for p in items} if got == want else None

        found = await eventually(check, timeout=20)
        if not found:
            items = await self.payouts(deal_id=deal_id)
            raise AssertionError(f"deal {deal_id}: {[(p['kind'], p['beneficiary']['id'], p['status'], p['amount']) for p in items]} != {want}")
        return found

    async def events(self, type_prefix: str = "payout.") -> list[dict]:
        return [d for d in (json.loads(m.data) for m in await stream_messages(self.settings))
                if d["type"].startswith(type_prefix)]


@asynccontextmanager
async def office(urls):
    settings = isolated_settings(*urls)
    async with running([DealsService(DealsSettings(timers=False))], settings) as (app, client):
        yield Office(settings, app, client)


async def test_commission_and_reward_from_signing_to_payment(urls):
    async with office(urls) as o:
        await o.partner("p1", "链家深圳湾店")
        await o.referrer("r1", "热心市民张三")
        deal = o.deal(price=298_000_000, product="villa", partner="p1", referrer="r1")  # 2,980,000.00: the 1.8–3 M band
        await o.sign(deal)
        got = await o.settled(deal["deal_id"], {("commission", "p1"): ("pending", "44700.00"),
                                                ("referral_reward", "r1"): ("pending", "4000.00")})
        commission, reward = got[("commission", "p1")], got[("referral_reward", "r1")]
        assert commission["beneficiary"]["name"] == "链家深圳湾店" and reward["beneficiary"]["name"] == "热心市民张三"
        assert commission["status_name"] == "待回款" and commission["commission_percent"] == "1.5"
        assert reward["reward_form"] == "cash" and reward["nth_paid_deal"] == 1 and commission["customer_name"] == "王先生"

        # nothing is due before full payment: approving a pending payout is refused
        r = await o.client.post(f"/v1/payouts/{commission['id']}/approve", headers=o.manager, json={})
        assert r.status_code == 409 and r.json()["status_now"] == "pending", r.text
        assert "未全部到帐" in r.json()["detail"]

        await o.pay_in_full(deal)
        got = await o.settled(deal["deal_id"], {("commission", "p1"): ("due", "44700.00"),
                                                ("referral_reward", "r1"): ("due", "4000.00")})
        commission = got[("commission", "p1")]
        # finance pays but cannot approve; paying before approval is refused; a manager approves
        assert (await o.client.post(f"/v1/payouts/{commission['id']}/approve", headers=o.finance, json={})).status_code == 403
        r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.finance, json={"reference": "流水-1"})
        assert r.status_code == 409 and r.json()["status_now"] == "due"
        for role in ("consultant", "reception", "integrator", "admin"):
            r = await o.client.post(f"/v1/payouts/{commission['id']}/approve", headers=o.as_(role), json={})
            assert r.status_code == 403, role
        r = await o.client.post(f"/v1/payouts/{commission['id']}/approve", headers=o.manager | {"If-Match": "1"}, json={})
        assert r.status_code == 412 and r.json()["current_version"] == commission["version"]
        r = await o.client.post(f"/v1/payouts/{commission['id']}/approve", headers=o.manager, json={"note": "核对无误"})
        assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_by"] == "m1", r.text
        # pay: the reference is required; bad input stores nothing
        for bad in ({}, {"reference": ""}, {"reference": "  "}, {"reference": "a\x00b"}, {"reference": "x" * 201},
                    {"reference": "ok", "extra": 1}, {"reference": 12}):
            r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.finance, json=bad)
            assert r.status_code == 422, (bad, r.text)
        r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.finance | {"Content-Type": "application/json"},
                                content=b"{not json")
        assert r.status_code == 400, r.text
        assert (await o.client.get(f"/v1/payouts/{commission['id']}", headers=o.finance)).json()["status"] == "approved"
        for role in ("consultant", "partner", "admin"):
            r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.as_(role, "p1" if role == "partner" else None),
                                    json={"reference": "流水-1"})
            assert r.status_code == 403, role
        r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.finance,
                                json={"reference": "银行流水 20261130-0001"})
        paid = r.json()
        assert r.status_code == 200 and paid["status"] == "paid" and paid["reference"] == "银行流水 20261130-0001"
        assert paid["paid_by"] == "f1" and paid["status_name"] == "已支付"
        r = await o.client.post(f"/v1/payouts/{commission['id']}/pay", headers=o.finance, json={"reference": "again"})
        assert r.status_code == 409

        # the whole life is on the stream, money in fen, the beneficiary named
        async def lifecycle():
            seen = [(e["type"], e["data"]["status"]) for e in await o.events() if e["data"]["payout_id"] == commission["id"]]
            return seen if len(seen) >= 4 else None
        assert await eventually(lifecycle) == [("payout.pending", "pending"), ("payout.due", "due"),
                                               ("payout.approved", "approved"), ("payout.paid", "paid")]
        last = [e for e in await o.events("payout.paid")][-1]["data"]
        assert last["amount"] == 4_470_000 and last["beneficiary"] == {"type": "partner", "id": "p1", "name": "链家深圳湾店"}
        assert last["reference"] == "银行流水 20261130-0001"


async def test_who_sees_payouts_and_a_partner_only_its_own(urls):
    async with office(urls) as o:
        await o.partner("p1", "一号渠道")
        await o.partner("p2", "二号渠道")
        await o.referrer("r1", "李业主", "owner")
        mine, theirs = o.deal(partner="p1", referrer="r1", kind="owner"), o.deal(partner="p2")
        other_branch = o.deal(partner="p1")
        await o.sign(mine)
        await o.sign(theirs)
        await o.emit(DealSigned(**other_branch, contract_no="HT-x"), branch="gz-river")
        await o.settled(mine["deal_id"], {("commission", "p1"): ("pending", "45000.00"),
                                          ("referral_reward", "r1"): ("pending", "5000.00")})
        got = await o.settled(theirs["deal_id"], {("commission", "p2"): ("pending", "45000.00")})
        p1 = o.as_("partner", "p1")
        seen = await o.payouts(p1)
        assert {(p["kind"], p["beneficiary"]["id"]) for p in seen} == {("commission", "p1")}
        assert all("phone" not in json.dumps(p) for p in seen)
        assert await o.payouts(p1, kind="referral_reward") == [] and await o.payouts(p1, beneficiary_id="p2") == []
        assert (await o.client.get(f"/v1/payouts/{got[('commission', 'p2')]['id']}", headers=p1)).status_code == 404
        assert (await o.client.get(f"/v1/payouts/{seen[0]['id']}", headers=p1)).status_code == 200
        # the owner's reward (老带新) is paid as a property-fee credit by default
        owner = [p for p in await o.payouts(kind="referral_reward")][0]
        assert owner["reward_form"] == "property_fee" and owner["reward_form_name"] == "物业费抵扣"
        assert owner["beneficiary"]["referrer_kind"] == "owner"
        # the branch's staff outside money see nothing; another branch's manager sees none of it
        for role in ("consultant", "reception", "integrator"):
            r = await o.client.get("/v1/payouts", params={"branch_id": BRANCH}, headers=o.as_(role))
            assert r.status_code == 403, role
            assert (await o.client.get(f"/v1/payouts/{seen[0]['id']}", headers=o.as_(role))).status_code == 403
        stranger = o.as_("manager", "m9", ["gz-river"])
        assert (await o.client.get(f"/v1/payouts/{seen[0]['id']}", headers=stranger)).status_code == 404
        assert (await o.client.get("/v1/payouts", params={"branch_id": BRANCH}, headers=stranger)).status_code == 404
        assert (await o.client.post(f"/v1/payouts/{seen[0]['id']}/approve", headers=stranger, json={})).status_code == 404
        assert len(await o.payouts(o.finance)) == 3
        assert len(await o.payouts(status="pending", kind="commission")) == 2
        assert len(await o.payouts(beneficiary_id="r1")) == 1
        assert (await o.client.get("/v1/payouts", params={"status": "lost"}, headers=o.manager)).status_code == 422
        assert (await o.client.get("/v1/payouts", params={"limit": 501}, headers=o.manager)).status_code == 422
        page = (await o.client.get("/v1/payouts", params={"branch_id": BRANCH, "limit": 2}, headers=o.manager)).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (await o.client.get("/v1/payouts", params={"branch_id": BRANCH, "cursor": page["next_cursor"]},
                                   headers=o.manager)).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
