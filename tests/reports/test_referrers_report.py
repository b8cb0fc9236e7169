"""全民营销 in the reports: referrals -> visits -> deals by referrer, named; partners named (issue 16)."""

from __future__ import annotations

from crm_shared.events.leads import (BranchConfigured, ChannelReportAccepted, LeadRegistered, LeadSource, LeadWon,
                                     PartnerRegistered, ReferrerRegistered)
from crm_reports.exports.present import present
from crm_reports.queries.read import export_names
from crm_reports import generations
from tests.reports.builders import BRANCH, customer, ev, visit
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer

DAY = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-10"}


def referral(lead: str, referrer: str | None, when: str):
    data = LeadRegistered(lead_id=lead, customer=customer(len(lead)), owner_id="c1",
                          source=LeadSource(channel="referral", referrer_id=referrer))
    return ev(data, when, subject=lead)


async def test_referrals_visits_and_deals_by_referrer_with_names(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, [
        ev(BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai", settings={}), "2026-03-01T00:00:00"),
        ev(ReferrerRegistered(referrer_id="r-owner", kind="owner", name="李业主"), "2026-03-02T00:00:00", subject="r-owner"),
        ev(ReferrerRegistered(referrer_id="r-staff", kind="employee", name="集团小王"), "2026-03-02T00:00:00", subject="r-staff"),
        ev(PartnerRegistered(partner_id="p-1", kind="agency", name="链家湾区店"), "2026-03-02T00:00:00", subject="p-1"),
        referral("R1", "r-owner", "2026-03-10T02:00:00"),
        referral("R2", "r-owner", "2026-03-10T03:00:00"),
        referral("R3", "r-staff", "2026-03-10T04:00:00"),
        referral("R4", None, "2026-03-10T04:30:00"),  # a referral in free text: no registered referrer
        visit("VR1", "R1", "c1", "2026-03-10T05:00:00"),
        visit("VR3", "R3", "c1", "2026-03-10T05:10:00"),
        ev(LeadWon(lead_id="R1", owner_id="c1", amount=2_000_000), "2026-03-10T08:00:00", subject="R1"),
        ev(ChannelReportAccepted(report_id="rep-1", partner_id="p-1"), "2026-03-10T01:00:00", subject="rep-1"),
    ])
    auth = bearer(settings, "manager", [BRANCH], sub="m1")
    r = await client.get("/v1/reports/funnel", params={**DAY, "group_by": "referrer"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {i["group"]: i for i in body["items"]}
    assert set(rows) == {"r-owner", "r-staff"}
    owner, staff = rows["r-owner"], rows["r-staff"]
    assert (owner["name"], owner["leads"], owner["visited"], owner["won"]) == ("李业主", 2, 1, 1)
    assert (staff["name"], staff["leads"], staff["visited"], staff["won"]) == ("集团小王", 1, 1, 0)
    assert body["total"]["leads"] == 3, "the total counts the referral leads of registered referrers"
    g = await generations.current(ctx.db)
    names = await export_names(g, BRANCH, "Asia/Shanghai")
    assert [row["group"] for row in present("funnel", body, names)] == ["李业主", "集团小王"]
    partners = (await client.get("/v1/reports/partners", params=DAY, headers=auth)).json()["items"]
    assert partners[0]["partner_id"] == "p-1" and partners[0]["name"] == "链家湾区店"
    assert names.partners == {"p-1": "链家湾区店"}
    sheet = await client.get("/v1/reports/funnel", params={**DAY, "group_by": "referrer", "format": "csv"}, headers=auth)
    assert "李业主" in sheet.content.decode("utf-8-sig") and "r-owner" not in sheet.content.decode("utf-8-sig")
