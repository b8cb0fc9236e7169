"""Scenario: from the unit sheet to customer care. A manager puts units on the sheet (one by hand, the rest from
the office's GBK 销控表) and sets the commission; a partner reports a customer who walks in; an owner refers a
second customer. The first customer subscribes at a price needing approval (a second consultant finds the unit
taken), signs and pays in full; the partner's commission becomes due, is approved and paid, and the partner sees
it without a single phone number. The customers service opens the owner archive with its after-sale revisits;
the owner complains, gets the number by SMS, and the complaint is investigated, approved and closed. The second
customer's subscription is cancelled. The reports show the sale, the commission, the complaint and the
cancellation, in Chinese."""

import re
from datetime import UTC, datetime, timedelta

from crm_shared.branches import local_date
from tests.e2e.conftest import open_floor

PHONE = "13812345678"  # 周先生, brought by the partner
REFERRED = "13723456789"  # 刘先生, referred by an owner
OWNER_REFERRER = "13634567890"  # 陈女士, an owner (老业主)
FINANCE_PHONE = "13987650001"
PHONE_LIKE = re.compile(r"1[3-9]\d(\*{4}|\d{4})\d{4}")

SHEET = ("湾区壹号销控表（2031年3月）,,,,,,\n"
         "楼盘,栋号,房号,产品类型,楼层,建筑面积(㎡),总价\n"
         "湾区壹号,3栋,1201,小高层,12层,89.5,\"3,280,000\"\n"
         "湾区壹号,3栋,1202,小高层,12层,89.5,\"3,260,000\"\n"
         "湾区壹号,5栋,601,洋房,6,120.00㎡,￥4150000.00元\n"
         "湾区壹号,B1,车位088,车位,,,15万\n").encode("gbk")


async def test_from_the_unit_sheet_to_a_closed_complaint(system):
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings)
    b = floor.branch
    c1, c2, manager = floor.staff["consultant1"], floor.staff["consultant2"], floor.staff["manager"]
    today = local_date(datetime.now(UTC), "Asia/Shanghai")
    window = {"branch_id": b, "from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    # -- 1. the sheet, the commission, finance ------------------------------------------------------------------
    villa = await floor.call("POST", "/v1/units", "manager", json={
        "branch_id": b, "project": "湾区壹号", "building": "A座", "unit_no": "别1", "product_type": "villa",
        "area": "380.00", "list_price": "12800000", "floor": 1})
    assert (villa["status"], villa["label"], villa["list_price"]) == ("available", "湾区壹号 A座 别1", "12800000.00")
    imported = await floor.call("POST", "/v1/units/import", "manager", files={"file": ("销控表.csv", SHEET)},
                                data={"branch_id": b})
    assert (imported["total"], imported["created"], imported["duplicates"], imported["invalid"]) == (4, 4, 0, 0), imported
    rows = {r["label"]: r for r in imported["rows"]}
    assert rows["湾区壹号 3栋 1201"]["row"] == 3 and rows["湾区壹号 3栋 1201"]["status_name"] == "已导入"
    unit_a, unit_b = rows["湾区壹号 3栋 1201"]["unit_id"], rows["湾区壹号 3栋 1202"]["unit_id"]
    sheet_now = {u["label"]: u for u in (await floor.call("GET", "/v1/units", "consultant", c1,
                                                           params={"branch_id": b, "limit": 50}))["items"]}
    assert sheet_now["湾区壹号 3栋 1201"]["list_price"] == "3280000.00"
    assert sheet_now["湾区壹号 5栋 601"]["product_type"] == "garden_house"
    assert sheet_now["湾区壹号 B1 车位088"]["list_price"] == "150000.00"
    assert all(u["status"] == "available" for u in sheet_now.values()) and len(sheet_now) == 5

    rules = await floor.call("PUT", f"/v1/reward-rules/{b}", "manager", json={"commission_percent": "1.2"},
                             headers={"If-Match": "0"})
    assert rules["commission_percent"] == "1.2" and rules["configured"] is True

    r = await client.post("/v1/staff", json={"branch_id": b, "name": "财务小孙", "role": "finance",
                                             "email": f"finance@{b}.example.com", "phone": FINANCE_PHONE},
                          headers=floor.as_("manager"))
    assert r.status_code == 201, r.text
    assert r.json()["role"] == "finance"
    floor.staff["finance"] = r.json()["id"]

    # -- 2. a partner's customer walks in; an owner refers another ---------------------------------------------
    partner = await floor.call("POST", "/v1/partners", "manager", json={
        "branch_id": b, "name": "链家深圳湾店", "kind": "agency", "phone": "13511112222"})
    p = partner["id"]
    report = await floor.call("POST", "/v1/channel-reports", "partner", p, json={
        "branch_id": b, "customer_name": "周先生", "gender": "male", "phone": "138****5678"})
    assert report["status"] == "accepted" and report["partner_id"] == p

    await floor.call_once_known("POST", f"/v1/rotation/{b}/join", "reception", json={"consultant_id": c1})
    visit = await floor.call("POST", "/v1/visits", "reception", json={
        "branch_id": b, "visitor": {"name": "周先生", "phone": PHONE}, "party_size": 2})
    assert visit["consultant_id"] == c1 and visit["returning"] is False

    async def walk_in_lead():
        page = await floor.call("GET", "/v1/leads", "manager", params={"branch_id": b, "q": "5678"})
        return page["items"][0] if page["items"] else None
    lead = await floor.until(walk_in_lead, "the walk-in lead from visit.checked_in")
    assert lead["owner_id"] == c1 and lead["source"]["partner_id"] == p

    async def confirmed():
        got = await floor.call("GET", f"/v1/channel-reports/{report['id']}", "partner", p)
        return got if got["status"] == "confirmed" else None
    assert (await floor.until(confirmed, "the report confirmed by the visit"))["protection_until"]

    referrer = await floor.call("POST", "/v1/referrers", "manager", json={
        "branch_id": b, "name": "陈女士", "phone": OWNER_REFERRER, "kind": "owner", "note": "湾区壹号一期业主"})
    assert referrer["kind"] == "owner" and referrer["phone_masked"] == "136****7890"
    lead2 = await floor.call("POST", "/v1/leads", "consultant", c2, json={
        "branch_id": b, "customer": {"name": "刘先生", "phone": REFERRED, "gender": "male"},
        "source": {"channel": "referral", "referrer_id": referrer["id"]}, "grade": "A"})
    assert lead2["owner_id"] == c2 and lead2["attribution"] == {"referrer_id": referrer["id"]}

    async def subscribe(sub: str, body: dict, role: str = "consultant"):
        """POST /v1/deals once deals knows the lead (from lead.registered): a 404 until then."""
        async def attempt():
            r = await client.post("/v1/deals", json=body, headers=floor.as_(role, sub))
            return None if r.status_code == 404 else r
        return await floor.until(attempt, "deals to know the lead")

    # the villa is held back (销控保留): the referred customer's consultant cannot subscribe it. Deals learns of the
    # referred lead from lead.registered, published after the partner's confirmation: once it answers for that lead,
    # it holds the confirmation that credits the partner at the first customer's subscription.
    held = await floor.call("POST", f"/v1/units/{villa['id']}/hold", "manager", json={"reason": "开发商保留"})
    assert held["status"] == "held"
    r = await subscribe(c2, {"lead_id": lead2["id"], "unit_id": villa["id"], "agreed_price": "12800000"})
    assert r.status_code == 409 and r.json()["type"].endswith("/unit-unavailable"), r.text
    assert r.json()["status_now"] == "held"

    # -- 3. subscription, approval, signing, payments, the commission -------------------------------------------
    r = await subscribe(c1, {"lead_id": lead["id"], "unit_id": unit_a, "agreed_price": "3150000.00",
                             "deposit": 50000, "note": "老客户介绍，申请特殊优惠"})
    assert r.status_code == 201, r.text
    deal = r.json()
    assert (deal["status"], deal["price_approval"], deal["discount"]) == ("subscribed", "pending", "130000.00")
    assert deal["attribution"]["partner_id"] == p and deal["attribution"]["partner_name"] == "链家深圳湾店", deal
    assert deal["customer_name"] == "周先生" and deal["owner_name"] == "顾问1" and deal["phone_masked"] == "138****5678"
    unit = await floor.call("GET", f"/v1/units/{unit_a}", "consultant", c1)
    assert (unit["status"], unit["deal_id"]) == ("reserved", deal["id"])

    r = await subscribe(c2, {"lead_id": lead2["id"], "unit_id": unit_a, "agreed_price": 3280000})
    assert r.status_code == 409, r.text
    taken = r.json()
    assert taken["type"].endswith("/unit-taken")
    assert (taken["holder_deal_id"], taken["holder_owner_id"]) == (deal["id"], c1)
    assert "湾区壹号 3栋 1201" in taken["detail"]

    early = await floor.call("POST", f"/v1/deals/{deal['id']}/sign", "consultant", c1, expect=409,
                             json={"contract_no": "WQ-2031-0001"})
    assert early["type"].endswith("/approval-required")
    approved = await floor.call("POST", f"/v1/deals/{deal['id']}/price-approval", "manager",
                                json={"decision": "approved", "reason": "老业主推荐客户，同意九六折"})
    assert approved["price_approval"] == "approved"
    signed = await floor.call("POST", f"/v1/deals/{deal['id']}/sign", "consultant", c1,
                              json={"contract_no": "WQ-2031-0001"})
    assert (signed["status"], signed["contract_no"]) == ("signed", "WQ-2031-0001")
    assert (await floor.call("GET", f"/v1/units/{unit_a}", "finance"))["status"] == "sold"

    async def payout_of(role: str, sub: str | None = None, status: str | None = None):
        page = await floor.call("GET", "/v1/payouts", role, sub, params={"branch_id": b, "deal_id": deal["id"]})
        found = [x for x in page["items"] if x["kind"] == "commission"]
        return found[0] if found and (status is None or found[0]["status"] == status) else None
    pending = await floor.until(lambda: payout_of("finance", status="pending"), "the commission pending on signing")
    assert pending["amount"] == "37800.00" and pending["beneficiary"]["id"] == p
    assert pending["beneficiary"]["name"] == "链家深圳湾店"

    paid_at = datetime.now(UTC).replace(microsecond=0)
    first = await floor.call("POST", f"/v1/deals/{deal['id']}/payments", "finance", json={
        "amount": "1000000", "paid_at": (paid_at - timedelta(minutes=5)).isoformat(), "method": "bank_transfer",
        "reference": "首付款 招商银行 20310301-0001"})
    assert first["amount"] == "1000000.00"
    mid = await floor.call("GET", f"/v1/deals/{deal['id']}", "finance")
    assert (mid["status"], mid["paid_total"], mid["remaining"]) == ("signed", "1050000.00", "2100000.00")
    await floor.call("POST", f"/v1/deals/{deal['id']}/payments", "finance", json={
        "amount": 2100000, "paid_at": paid_at.isoformat(), "method": "mortgage", "reference": "按揭放款 建设银行"})
    done = await floor.call("GET", f"/v1/deals/{deal['id']}", "manager")
    assert (done["status"], done["paid_total"], done["remaining"]) == ("paid", "3150000.00", "0.00")
    assert [pay["method_name"] for pay in done["payments"]] == ["银行转账", "按揭放款"]
    assert all(h["stage_name"] for h in done["history"])

    async def lead_won():
        got = await floor.call("GET", f"/v1/leads/{lead['id']}", "consultant", c1)
        return got if got["status"] == "won" and (got.get("deal") or {}).get("status") == "paid" else None
    won = await floor.until(lead_won, "the lead won by deal.signed and paid by deal.paid")
    assert won["deal"]["deal_id"] == deal["id"] and won["deal"]["contract_no"] == "WQ-2031-0001"
    assert won["amount"] == "3150000.00" and won["deal"]["paid_total"] == "3150000.00"
    assert won["deal"]["unit_label"] == "湾区壹号 3栋 1201"

    due = await floor.until(lambda: payout_of("manager", status="due"), "the commission due once paid in full")
    not_finance = await floor.call("POST", f"/v1/payouts/{due['id']}/approve", "finance", expect=403, json={})
    assert not_finance["type"].endswith("/forbidden")
    ok = await floor.call("POST", f"/v1/payouts/{due['id']}/approve", "manager", json={"note": "回款已到账，同意结佣"},
                          headers={"If-Match": str(due["version"])})
    assert ok["status"] == "approved" and ok["approved_by"] == manager
    paid = await floor.call("POST", f"/v1/payouts/{due['id']}/pay", "finance",
                            json={"reference": "佣金付款 工商银行 20310305-0088"}, headers={"If-Match": str(ok["version"])})
    assert paid["status"] == "paid" and paid["reference"] == "佣金付款 工商银行 20310305-0088"
    assert paid["paid_by"] == floor.staff["finance"]

    r = await client.get("/v1/payouts", params={"branch_id": b}, headers=floor.as_("partner", p))
    assert r.status_code == 200, r.text
    mine = r.json()["items"]
    assert [(x["id"], x["status"], x["amount"], x["customer_name"]) for x in mine] == \
        [(due["id"], "paid", "37800.00", "周先生")]
    assert not PHONE_LIKE.search(r.text) and "phone" not in r.text, "a partner sees no phone number, not even masked"
    assert (await floor.call("GET", "/v1/payouts", "partner", "agency-other", params={"branch_id": b}))["items"] == []

    # -- 4. the owner archive and its after-sale revisits ---------------------------------------------------------
    async def owner_archive():
        page = await floor.call("GET", "/v1/archives", "manager", params={"branch_id": b, "category": "owner"})
        return page["items"][0] if page["items"] else None
    archive = await floor.until(owner_archive, "the owner archive opened from deal.signed")
    assert (archive["category"], archive["account_manager_id"]) == ("owner", c1)
    assert archive["account_manager_name"] == "顾问1" and archive["customer"]["name"] == "周先生"
    assert archive["customer"]["phone_masked"] == "138****5678" and archive["status"] == "pending_review"
    assert archive["opened_by"] == f"deal:{deal['id']}"
    assert [d["deal_id"] for d in archive["deals"]] == [deal["id"]]
    own = await floor.call("GET", "/v1/archives", "consultant", c1, params={"branch_id": b})
    assert [a["id"] for a in own["items"]] == [archive["id"]], "the account manager sees its archive"
    assert (await floor.call("GET", "/v1/archives", "consultant", c2, params={"branch_id": b}))["items"] == []

    signed_on = local_date(datetime.fromisoformat(signed["signed_at"]), "Asia/Shanghai")

    async def after_sale():
        page = await floor.call("GET", "/v1/revisits", "consultant", c1,
                                params={"branch_id": b, "status": "planned", "archive_id": archive["id"]})
        found = [t for t in page["items"] if t["kind"] == "after_sale"]
        return found if found else None
    tasks = await floor.until(after_sale, "the after-sale revisits planned for the new owner")
    week = [t for t in tasks if t["due_on"] == (signed_on + timedelta(days=7)).isoformat()]
    assert week, tasks
    assert (week[0]["kind_name"], week[0]["assignee_id"], week[0]["assignee_name"]) == ("售后回访", c1, "顾问1")
    assert week[0]["deal_id"] == deal["id"] and week[0]["customer_name"] == "周先生"

    reviewed = await floor.call("POST", f"/v1/archives/{archive['id']}/review", "manager",
                                json={"decision": "approved", "note": "资料齐全"},
                                headers={"If-Match": str(archive["version"])})
    assert reviewed["status"] == "active" and reviewed["last_review"]["decision"] == "approved"

    # -- 5. a complaint, acknowledged by SMS with its number, investigated and closed ----------------------------
    complaint = await floor.call("POST", "/v1/complaints", "reception", json={
        "branch_id": b, "archive_id": archive["id"], "channel": "phone", "category": "quality", "severity": "major",
        "summary": "交房后发现客厅墙面开裂、卫生间渗水", "deal_id": deal["id"]})
    number = complaint["number"]
    assert re.fullmatch(r"\d{4}-\d{3}", number) and number.startswith(today.strftime("%y%m")), number
    assert number.endswith("-001"), "the branch's first complaint this month"
    assert complaint["status"] == "received" and complaint["customer"] == {"name": "周先生", "phone_masked": "138****5678"}
    assert (complaint["severity_name"], complaint["category_name"], complaint["status_name"]) == ("重大", "质量", "已受理")

    async def acknowledged():
        page = await floor.call("GET", "/v1/messages", "manager", params={"branch_id": b, "to": PHONE, "limit": 50})
        found = [m for m in page["items"] if m["template"] == "complaint_received"]
        return found[0] if found else None
    ack = await floor.until(acknowledged, "the complaint's acknowledgement SMS to the customer")
    assert ack["channel"] == "sms" and ack["category"] == "transactional"
    notify = await system.context("notify")

    async def ack_text():
        return await notify.db.console_outbox.find_one({"branch_id": b, "channel": "sms", "to": {"$regex": "45678$"},
                                                        "body": {"$regex": number}})
    sent = await floor.until(ack_text, "the acknowledgement text with the complaint number at the SMS provider")
    assert f"周先生您好，您的投诉已受理，编号{number}" in sent["body"], sent["body"]

    manager_phone = "13900000000"  # open_floor's manager

    async def managers_told():
        page = await floor.call("GET", "/v1/messages", "manager", params={"branch_id": b, "to": manager_phone, "limit": 50})
        found = [m for m in page["items"] if m["template"] == "complaint_major"]
        return found[0] if found else None
    assert (await floor.until(managers_told, "the major complaint's notice to the manager"))["kind"] == "complaint_major"

    cid = complaint["id"]
    assigned = await floor.call("POST", f"/v1/complaints/{cid}/assign", "manager",
                                json={"assignee_id": c1, "note": "请客户经理跟进，联系工程部查看"})
    assert (assigned["status"], assigned["assignee_id"]) == ("investigating", c1)
    filed = await floor.call("POST", f"/v1/complaints/{cid}/report", "consultant", c1, json={
        "cause": "墙面抹灰层养护不足，卫生间防水层局部破损", "responsibility": "施工单位",
        "proposal": "三日内重新抹灰、修补防水并赔偿清洁费用"})
    assert filed["report"]["on_time"] is True and filed["report"]["filed_by"] == c1
    responded = await floor.call("POST", f"/v1/complaints/{cid}/report/approve", "manager", json={"note": "同意处理方案"})
    assert responded["status"] == "responded"
    closed = await floor.call("POST", f"/v1/complaints/{cid}/close", "manager", json={
        "customer_response": "satisfied", "resolution": {"kind": "repair", "note": "已完成墙面及防水修复，客户确认满意"}})
    assert closed["status"] == "closed" and closed["closing"]["customer_response"] == "satisfied"
    assert closed["closing"]["resolution_name"] == "维修整改" and closed["status_name"] == "已结案"
    assert all(h["what_name"] and h["by_name"] for h in closed["history"]), closed["history"]

    # -- 6. the referred customer subscribes, then withdraws ------------------------------------------------------
    r = await subscribe(c2, {"lead_id": lead2["id"], "unit_id": unit_b, "agreed_price": "3260000", "deposit": "20000"})
    assert r.status_code == 201, r.text
    deal2 = r.json()
    assert deal2["price_approval"] == "not_needed" and deal2["attribution"]["referrer_id"] == referrer["id"]
    assert (deal2["attribution"]["referrer_name"], deal2["attribution"]["referrer_kind"]) == ("陈女士", "owner")
    assert (await floor.call("GET", f"/v1/units/{unit_b}", "consultant", c2))["status"] == "reserved"
    not_yours = await floor.call("POST", f"/v1/deals/{deal2['id']}/cancel", "consultant", c2, expect=403,
                                 json={"reason": "customer_withdrew"})
    assert not_yours["type"].endswith("/forbidden")
    cancelled = await floor.call("POST", f"/v1/deals/{deal2['id']}/cancel", "manager", json={
        "reason": "customer_withdrew", "refund": "20000", "note": "客户家庭计划变化，全额退还定金"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation"] == {"reason": "customer_withdrew", "reason_name": "客户放弃购买",
                                         "refund": "20000.00", "note": "客户家庭计划变化，全额退还定金"}
    freed = await floor.call("GET", f"/v1/units/{unit_b}", "consultant", c2)
    assert freed["status"] == "available" and not freed.get("deal_id")

    async def lead_records_cancellation():
        got = await floor.call("GET", f"/v1/leads/{lead2['id']}", "consultant", c2)
        return got if (got.get("deal") or {}).get("status") == "cancelled" else None
    lead2_now = await floor.until(lead_records_cancellation, "the lead to record the cancellation from deal.cancelled")
    assert lead2_now["deal"]["deal_id"] == deal2["id"] and lead2_now["deal"]["cancel_reason"] == "customer_withdrew"
    assert lead2_now["deal"]["refund"] == "20000.00" and lead2_now["status"] not in ("won", "lost")

    # -- 7. the reports -------------------------------------------------------------------------------------------
    async def sales_by(group_by: str, key: str):
        body = await floor.call("GET", "/v1/reports/sales", "manager", params=window | {"group_by": group_by})
        row = next((i for i in body["items"] if i["group"] == key), None)
        return body if row and row["units"] == 1 and body["total"]["collected_amount"] == "3100000.00" else None
    by_partner = await floor.until(lambda: sales_by("partner", p), "the sale credited to the partner")
    row = next(i for i in by_partner["items"] if i["group"] == p)
    assert (row["name"], row["amount"], row["signed"]) == ("链家深圳湾店", "3150000.00", 1)
    assert by_partner["total"]["units"] == 1 and by_partner["total"]["amount"] == "3150000.00"
    by_type = await floor.call("GET", "/v1/reports/sales", "finance", params=window | {"group_by": "product_type"})
    types = {i["group"]: i for i in by_type["items"]}
    assert (types["high_rise"]["name"], types["high_rise"]["units"]) == ("小高层", 1)
    assert types["villa"]["units"] == 0 and types["villa"]["name"] == "别墅"

    async def payouts_report():
        body = await floor.call("GET", "/v1/reports/payouts", "finance", params=window)
        row = next((i for i in body["items"] if i["beneficiary"]["id"] == p), None)
        return row if row and row["n_paid"] == 1 else None
    prow = await floor.until(payouts_report, "the paid commission in the payouts report")
    assert (prow["kind"], prow["name"], prow["paid_amount"]) == ("commission", "链家深圳湾店", "37800.00")

    async def complaints_report():
        body = await floor.call("GET", "/v1/reports/complaints", "manager", params=window)
        return body if body["total"]["closed"] == 1 else None
    cbody = await floor.until(complaints_report, "the closed complaint in the complaints report")
    quality = next(i for i in cbody["items"] if i["category"] == "quality")
    assert (quality["received"], quality["major"], quality["closed"], quality["satisfied"]) == (1, 1, 1, 1)
    assert cbody["total"]["received"] == 1

    async def changes_report():
        body = await floor.call("GET", "/v1/reports/deal-changes", "manager", params=window)
        return body if body["total"]["cancellations"] == 1 else None
    changes = await floor.until(changes_report, "the cancellation in the deal-changes report")
    line = changes["items"][0]
    assert (line["change_kind"], line["deal_id"], line["customer"], line["consultant"]) == \
        ("cancel", deal2["id"], "刘先生", "顾问2")
    assert (line["reason"], line["reason_name"], line["refund"]) == ("customer_withdrew", "客户放弃购买", "20000.00")
    assert line["unit"] == "湾区壹号 3栋 1202" and line["stage"] == "subscribed"
