"""Every deal.* event names its unit as people do (`unit_label`: project, building, unit number), so leads, notify
and reports never show a unit id; `deal.cancelled` carries the branch's word for its reason code (`reason_name`)
and `deal.unit_changed` the unit and product type moved away from."""

from __future__ import annotations

from datetime import timedelta

from crm_shared.events.deals import DealCancelled, DealUnitChanged
from crm_shared.events.leads import AttributionDecided, ChannelReportConfirmed
from crm_shared.ids import utcnow
from tests.deals.test_deals import BRANCH, events_of, office
from tests.support.runtime import eventually


def _label(unit: dict) -> str:
    return f"湾区壹号 {unit['building']} {unit['unit_no']}"


async def _deal_events(o, deal_id: str, kinds: tuple[str, ...], n: int) -> list[dict]:
    async def probe():
        found = [e for kind in kinds for e in await events_of(o, kind) if e["data"]["deal_id"] == deal_id]
        return sorted(found, key=lambda e: e["time"]) if len(found) >= n else None
    found = await eventually(probe)
    assert found, f"expected {n} events of {deal_id}"
    return found


async def test_every_deal_event_names_its_unit_and_a_unit_change_names_what_it_left(urls):
    async with office(urls) as o:
        lead = await o.lead(channel="partner")
        await o.emit(ChannelReportConfirmed(report_id="rep-f", partner_id="p1", lead_id=lead,
                                            protection_until=utcnow() + timedelta(days=20)), BRANCH, "rep-f")
        assert await eventually(lambda: o.ctx.db.report_copies.find_one({"_id": "rep-f", "lead_id": lead}))
        first = await o.unit("1000000.00", product="apartment", building="3栋")
        villa = await o.unit("1200000.00", product="villa", building="9栋")
        assert first["label"] == _label(first)
        deal = await o.subscribe(lead, first["id"], "900000.00", "100000")  # below the 3% limit: waits for approval
        path = f"/v1/deals/{deal['id']}"
        assert deal["unit_label"] == _label(first)
        await o.post(f"{path}/price-approval", {"decision": "approved", "reason": "老客户"})
        await o.emit(AttributionDecided(dispute_id="dsp-f", report_id="rep-f", winner="p2"), BRANCH, "dsp-f")
        assert await eventually(lambda: _n(o, "deal.attribution_changed", deal["id"], 1))
        await o.post(f"{path}/sign", {"contract_no": "HT-F1"})
        await o.post(f"{path}/payments", {"amount": "200000", "paid_at": "2026-11-30T10:00:00+08:00",
                                          "method": "bank_transfer"}, o.finance, expect=201)
        moved = await o.post(f"{path}/change-unit", {"unit_id": villa["id"], "agreed_price": "1200000",
                                                     "reason": "客户换大户型"})
        assert moved["unit_label"] == _label(villa)
        kinds = ("deal.subscribed", "deal.price_approved", "deal.attribution_changed", "deal.signed",
                 "deal.payment_received", "deal.unit_changed")
        found = await _deal_events(o, deal["id"], kinds, len(kinds))
        labels = {e["type"]: e["data"]["unit_label"] for e in found}
        assert labels == {k: _label(first) for k in kinds[:-1]} | {"deal.unit_changed": _label(villa)}
        changed = DealUnitChanged.model_validate(next(e["data"] for e in found if e["type"] == "deal.unit_changed"))
        assert (changed.previous_unit_id, changed.previous_unit_label, changed.previous_product_type) == (
            first["id"], _label(first), "apartment")
        assert (changed.unit_id, changed.product_type, changed.agreed_price, changed.previous_agreed_price) == (
            villa["id"], "villa", 120000000, 90000000)
        # paid in full on the new unit: the label follows the deal to the end
        await o.post(f"{path}/payments", {"amount": "900000", "paid_at": "2026-11-30T11:00:00+08:00",
                                          "method": "mortgage"}, o.finance, expect=201)
        (paid,) = await _deal_events(o, deal["id"], ("deal.paid",), 1)
        assert paid["data"]["unit_label"] == _label(villa) and paid["data"]["paid_total"] == 120000000


async def test_a_cancellation_names_the_branchs_reason_and_the_unit(urls):
    async with office(urls) as o:
        r = await o.client.put(f"/v1/deal-settings/{BRANCH}", headers=o.manager, json={
            "max_discount": "0.03", "cancel_reasons": [{"code": "bank", "name": "银行拒贷"}, {"code": "other", "name": "其他原因"}]})
        assert r.status_code == 200, r.text
        unit = await o.unit(building="5栋")
        deal = await o.subscribe(await o.lead(), unit["id"], deposit="20000")
        path = f"/v1/deals/{deal['id']}"
        await o.post(f"{path}/sign", {"contract_no": "HT-F2"})
        await o.post(f"{path}/cancel", {"reason": "bank", "refund": "20000"})
        (found,) = await _deal_events(o, deal["id"], ("deal.cancelled",), 1)
        cancelled = DealCancelled.model_validate(found["data"])
        assert (cancelled.reason, cancelled.reason_name, cancelled.previous_status) == ("bank", "银行拒贷", "signed")
        assert (cancelled.unit_label, cancelled.refund, cancelled.status) == (_label(unit), 2000000, "cancelled")


async def _n(o, kind: str, deal_id: str, n: int):
    found = [e for e in await events_of(o, kind) if e["data"]["deal_id"] == deal_id]
    return found if len(found) >= n else None
