"""Commissions and rewards on screen: the manager approves what is due (成交审批), finance pays what is approved
with the bank reference (结佣付款), and a partner sees its own commissions with names and amounts, never a
customer's number (我的佣金). The deals behind them are made through the services: a partner's report
confirmed by the customer's visit, an owner's referral (老带新), subscription, signing and full payment."""

from __future__ import annotations

import httpx
import pytest

from tests.console.conftest import shot
from tests.console.deals_office import act, browser, lead, open_office, post, status_of, subscribe, until

PARTNER, OTHER_PARTNER = "链家深圳湾店", "我爱我家"
CHEN_PHONE = "13800005001"


def _paid_in_full(o, deal: dict, contract: str) -> None:
    act(o, deal["id"], "sign", {"contract_no": contract})
    remaining = until(lambda: o.call("GET", f"/v1/deals/{deal['id']}", o.as_("manager")), "the deal")["remaining"]
    act(o, deal["id"], "payments", {"amount": remaining, "paid_at": "2026-11-30T02:00:00+00:00", "method": "bank_transfer"},
        who=("finance",), expect=201)


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        partner = o.partner(PARTNER)
        o.partner(OTHER_PARTNER)
        report = o.call("POST", "/v1/channel-reports", o.as_("partner", partner),
                        json={"branch_id": o.branch, "customer_name": "陈先生", "gender": "male", "phone": CHEN_PHONE})
        until(lambda: o.api.post(f"/v1/rotation/{o.branch}/join", json={"consultant_id": o.staff["consultant1"]},
                                 headers=o.as_("reception")).status_code == 200, "reception to know the consultant")
        o.call("POST", "/v1/visits", o.as_("reception"),
               json={"branch_id": o.branch, "visitor": {"name": "陈先生", "phone": CHEN_PHONE}, "party_size": 2})
        until(lambda: o.call("GET", f"/v1/channel-reports/{report['id']}", o.as_("partner", partner))["status"] == "confirmed",
              "the visit to confirm the partner's report")
        chen = until(lambda: next(iter(o.call("GET", "/v1/leads", o.as_("manager"),
                                              params={"branch_id": o.branch, "q": "陈先生"})["items"]), None), "the walk-in lead")
        referrer = o.call("POST", "/v1/referrers", o.as_("manager"),
                          json={"branch_id": o.branch, "name": "李业主", "phone": "13900005002", "kind": "owner"})
        wu = lead(o, "吴女士", "13800005003", channel="referral", referrer_id=referrer["id"])

        def attributed(lead_id: str, unit: str, price: str, key: str) -> dict:
            d = subscribe(o, lead_id, unit, price)
            if not (d["attribution"] or {}).get(key):  # deals had not heard of the confirmation yet: cancel and retry
                act(o, d["id"], "cancel", {"reason": "other"})
                return {}
            return d

        o.deals = {  # type: ignore[attr-defined]
            "陈先生": until(lambda: attributed(chen["id"], "1301", "3100000", "partner_id"), "the partner's attribution"),
            "吴女士": until(lambda: attributed(wu["id"], "1302", "3180000", "referrer_id"), "the referrer's attribution"),
        }
        for name, contract in (("陈先生", "HT-2026-0201"), ("吴女士", "HT-2026-0202")):
            _paid_in_full(o, o.deals[name], contract)

        def due() -> dict | None:
            items = o.call("GET", "/v1/payouts", o.as_("manager"), params={"branch_id": o.branch, "status": "due"})["items"]
            return {p["kind"]: p for p in items} if len(items) == 2 else None

        o.payouts = until(due, "the commission and the reward to become due")  # type: ignore[attr-defined]
        reward = o.payouts["referral_reward"]  # type: ignore[attr-defined]
        post(o, f"/v1/payouts/{reward['id']}/approve", {}, o.as_("manager") | {"If-Match": str(reward["version"])}, 200)
        yield o


def test_the_manager_approves_a_due_commission(page_for, office):
    commission = office.payouts["commission"]
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/manager/approvals")
    item = page.locator(f".payout-item[data-payout-id='{commission['id']}']")
    text = item.inner_text()
    assert PARTNER in text and "渠道佣金" in text and "陈先生" in text and "湾区壹号 3栋 1301" in text
    assert item.locator(".amount").inner_text() == "¥46,500.00" and "1.5%" in text
    assert "1 笔，共 ¥5,000.00" in page.locator("#waiting-finance").inner_text(), "the owner's reward waits for finance"
    shot(page, "78-manager-payout-approvals")
    item.locator("button.primary").click()
    page.wait_for_load_state("networkidle")
    assert f"已批准：{PARTNER} ¥46,500.00" in page.locator(".flash").inner_text()
    assert page.locator(f".payout-item[data-payout-id='{commission['id']}']").count() == 0

    # the deal cards name who is credited: the partner, and the referrer with its kind
    page.goto(f"{office.base_url}/console/deals/{office.deals['陈先生']['id']}")
    assert page.locator("#deal-partner").inner_text() == PARTNER
    assert page.locator("#deal-payouts").inner_text().count("渠道佣金") == 1
    page.goto(f"{office.base_url}/console/deals/{office.deals['吴女士']['id']}")
    assert page.locator("#deal-referrer").inner_text().startswith("李业主") and "老业主" in page.locator("#deal-referrer").inner_text()
    shot(page, "81-deal-card-referrer")


def test_finance_pays_an_approved_reward_with_its_reference(page_for, office):
    reward = office.payouts["referral_reward"]
    page = page_for("finance")
    assert page.url.endswith("/console/finance")
    assert page.locator("#who-name").inner_text() == "财务陈会计"
    item = page.locator(f".payout-item[data-payout-id='{reward['id']}']")
    text = item.inner_text()
    assert "李业主" in text and "推荐奖励" in text and "抵物业费" in text and "吴女士" in text
    assert item.locator(".amount").inner_text() == "¥5,000.00"
    item.locator("button.primary").click()  # no reference: the browser's `required` keeps the form
    assert page.url.endswith("/console/finance")
    item.locator("input[name=reference]").fill("物业费抵扣单 WY-20261201-07")
    item.locator("button.primary").click()
    page.wait_for_load_state("networkidle")
    assert "已付款：李业主 ¥5,000.00" in page.locator(".flash").inner_text()
    assert page.locator(f".payout-item[data-payout-id='{reward['id']}']").count() == 0
    paid = page.locator(f".paid-row[data-payout-id='{reward['id']}']").inner_text()
    assert "WY-20261201-07" in paid and "李业主" in paid
    shot(page, "79-finance-payouts")
    # finance reads deals, not the sales floor
    assert page.locator("a[data-nav=deals]").count() == 1 and page.locator("a[data-nav=units]").count() == 0


def test_a_partner_sees_its_own_commissions_without_customer_numbers(page_for, office):
    page = page_for("partner", partner_id=PARTNER)
    page.click("a[data-nav=commissions]")
    page.wait_for_load_state("networkidle")
    rows = page.locator(".commission-row")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "陈先生" in text and "¥46,500.00" in text and "¥3,100,000.00" in text and "1.5%" in text
    body = page.inner_text("body")
    assert CHEN_PHONE not in body and "5001" not in body, "no customer numbers, not even masked"
    assert "李业主" not in body and "吴女士" not in body, "only its own commissions"
    shot(page, "80-partner-commissions")

    other = page_for("partner", partner_id=OTHER_PARTNER)
    other.goto(f"{office.base_url}/console/partner/commissions")
    assert other.locator(".commission-row").count() == 0 and "还没有佣金记录" in other.inner_text("body")


def test_each_payout_screen_refuses_the_other_roles(office):
    screens = {"/console/finance": ("finance", "manager", "admin"),
               "/console/manager/approvals": ("manager", "admin"),
               "/console/partner/commissions": ("partner",)}
    for path, allowed in screens.items():
        for key in ("consultant1", "reception", "finance", "manager", "admin", "partner"):
            partner = PARTNER if key == "partner" else None
            code, html = status_of(office, key, path, partner=partner)
            role = "consultant" if key == "consultant1" else key
            if role in allowed:
                assert code == 200, (path, key, code)
            else:
                assert code == 403 and "您的角色不能使用此页面" in html and "¥46,500.00" not in html, (path, key, code)
    # paying is finance's or a manager's: a consultant's form post is refused before the API is asked
    with browser(office, "consultant1") as consultant:
        r = consultant.post(f"/console/finance/payouts/{office.payouts['commission']['id']}/pay", data={"reference": "x"})
    assert r.status_code == 403
