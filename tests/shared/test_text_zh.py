"""Text people read is Chinese, with names: every notify template, every reports export and every
console screen, rendered in zh-CN, fails on Latin-only words it did not expect, ids and codes.

ARCHITECTURE/STYLE "Text people read": what a customer or a member of staff reads shows names,
never ids or enum codes. The check (`foreign`) flags uuid-like ids, snake_case codes and Latin
words outside `ALLOWED` (legitimate Latin: SMS, grades O/A/B/C, units, file types...). The data
is realistic and comes from the producers' own code where there is one (reception's site
checklist, reports' digest summary over projected events, the console over a seeded office).
"""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from openpyxl import load_workbook

from crm_console.views import SCREENS
from crm_notify.dispatch.render import render_message
from crm_notify.plugin import NotifyService
from crm_notify.subscriptions import table as notify_table
from crm_notify.templates.defaults import DEFAULTS, VARIABLES
from crm_notify.templates.engine import render
from crm_notify.triggers.birthdays import plan_birthdays
from crm_reports.digest.job import run_digest
from crm_reports.plugin import ReportsService
from crm_reports.queries.books import BOOKS
from crm_reports.queries.params import REPORT_NAMES
from crm_reports.settings import ReportsSettings
from crm_reports.subscriptions import table as reports_table
from crm_shared.checklist import site_items
from crm_shared.config import DEFAULT_PHONE_SEAL_KEY
from crm_shared.events.customers import ComplaintAssigned, ComplaintOverdue, ComplaintReceived, GreetingDue, RevisitDue
from crm_shared.events.deals import Beneficiary, DealSubscribed, PayoutDue
from crm_shared.events import new_event
from crm_shared.events.leads import (
    AttributionDisputed, AttributionDisputeOverdue, BranchConfigured, ChannelReportAccepted, ChannelReportConfirmed,
    ChannelReportRejected, LeadAssigned, LeadClaimed, LeadFollowedUp, LeadFollowUpOverdue, LeadGraded,
    LeadImportFinished, LeadLost, LeadReclaimWarning, LeadRegistered, LeadSource, LeadWon, MaskedCustomer, PartnerRegistered,
    StaffJoined,
)
from crm_shared.events.reception import (
    AppointmentCancelled, AppointmentRescheduled, AppointmentScheduled, Contact, ReceptionApproved, ReceptionFeedbackOverdue,
    ReceptionRequested, SealedVisitor, VisitCheckedIn, VisitEnded,
)
from crm_shared.http.auth import mint_token
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import seal
from tests.console.conftest import Office, system  # noqa: F401  (the whole system on a real port)
from tests.notify.support import notify_config
from tests.support.runtime import bearer, eventually, isolated_settings, publish_event, running

# Latin a Chinese reader meets legitimately: channel and product words, grades and classes (single
# letters pass anyway), units, file types, and the language switch naming English in English.
ALLOWED = {"SMS", "CRM", "VIP", "English", "Excel", "CSV", "XLSX", "csv", "xlsx", "PNG", "SVG", "png", "svg",
           "km", "kg", "WeCom"}
URL = re.compile(r"https?://\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_START, _END = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"  # Chinese around an id is no word boundary to `\b`
IDS = (re.compile(_START + r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}"), re.compile(_START + r"[0-9a-f]{8}-(?:…|\.\.\.)"),
       re.compile(_START + r"(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}" + _END))
CODE = re.compile(_START + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+" + _END)
LATIN = re.compile(r"[A-Za-z]{2,}")
NAMELESS = re.compile(r"^(?:【[^】]*】)?[，：]|一位客户")  # a greeting without its name; a customer notify knew, unnamed


def foreign(text: str) -> list[str]:
    """What a zh-CN reader should not meet: ids, snake_case codes and Latin words outside ALLOWED."""
    text = EMAIL.sub(" ", URL.sub(" ", text))
    found = [m.group(0) for pattern in IDS for m in pattern.finditer(text)]
    found += [m.group(0) for m in CODE.finditer(text)]
    found += [w for w in LATIN.findall(text) if w not in ALLOWED]
    return sorted(set(found))


def test_the_check_catches_what_the_issue_found():
    for bad in ("线索01a22b24-5c6d-7e8f-9a0b-1c2d3e4f5a6b已分配给您", "置业顾问:01a22b23-…", "SMS appointment_reminder",
                "驳回原因:open_lead", "性别：female", "阶段:contacted", "工地参观须知：Hard hats: 2 (one per visitor)",
                "desk.title"):
        assert foreign(bad), bad
    for good in ("客户王先生（138****5678）已分配给您", "A类接待 2026年12月1日 09:00", "短信（SMS）已发送",
                 "退订：https://crm.test/v1/opt-outs/unsubscribe?token=a_b.c", "邮箱 lina@sz-bay.test", "客户登记表.xlsx"):
        assert not foreign(good), good


# ---- notify: every template, with its trigger's data and with what the services really send ----

@pytest.mark.parametrize("key", sorted({k for k, _, loc in DEFAULTS if loc == "zh-CN"}))
def test_every_zh_template_reads_as_chinese_with_its_data(key):
    for (k, _, locale), (subject, body) in DEFAULTS.items():
        if k == key and locale == "zh-CN":
            for text in (body, subject):
                if text:
                    assert not foreign(render(text, VARIABLES[key])), render(text, VARIABLES[key])


BRANCH = "sz-bay"
DAY = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 on the 10th, branch time
LI, ZHOU, ZHANG, XIAO = (uuid7() for _ in range(4))
QIAN = uuid7()  # finance (财务)
LEADS = {name: uuid7() for name in ("wang", "zhao", "qian", "sun")}


def _at(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


def _customer(name: str, n: int) -> MaskedCustomer:
    return MaskedCustomer(name=name, phone_masked=f"138****{n:04d}", phone_hash=f"h{n}")


def _sealed(name: str, n: int) -> SealedVisitor:
    """A customer as customers' events carry one: masked, hashed, the number sealed for notify."""
    return SealedVisitor(name=name, phone_masked=f"138****{n:04d}", phone_hash=f"h{n}",
                         phone_sealed=seal(f"+86138000{n:05d}", DEFAULT_PHONE_SEAL_KEY))


def _office_day() -> list:
    """A day at a branch whose people and customers have uuid ids, as the services write them."""
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    appt = dict(consultant_id=LI, lead_id=LEADS["wang"], customer=Contact(name="王先生", phone="+8613800000001"),
                kind="showing", party_size=3, checklist=[], site_checklist=site_items(3, 1, 1, None))
    rc = dict(reception_id=uuid7(), reception_class="A", host_id=LI, arrive_at=_at(60 * 24), guests=4, budget_per_head=140,
              purpose="集团领导视察", feedback_due_at=_at(60 * 24 * 3), participant_ids=[ZHANG])
    dispute = uuid7()
    complaint = dict(complaint_id=uuid7(), number="2603-001", category="quality", severity="major", customer_name="王先生",
                     summary="客厅墙面渗水", report_due_at=_at(60 * 24 * 3), due_at=_at(60 * 24 * 3), assignee_id=ZHOU)
    deal = uuid7()
    return [
        (BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai",
                          settings={"digest_time": "18:00:00"}), _at(-60 * 24)),
        (StaffJoined(staff_id=LI, role="consultant", name="李娜", phone="+8613900000001", email="lina@sz-bay.test"), _at(-60)),
        (StaffJoined(staff_id=ZHOU, role="consultant", name="周强", phone="+8613900000002"), _at(-60)),
        (StaffJoined(staff_id=ZHANG, role="manager", name="张经理", phone="+8613900000003", email="zhang@sz-bay.test"), _at(-60)),
        (StaffJoined(staff_id=XIAO, role="reception", name="前台小王", phone="+8613900000004"), _at(-60)),
        (StaffJoined(staff_id=QIAN, role="finance", name="钱会计", email="qian@sz-bay.test"), _at(-60)),
        (ComplaintReceived(**complaint, customer=_sealed("王先生", 1)), _at(140)),
        (ComplaintAssigned(**complaint), _at(141)),
        (ComplaintOverdue(**complaint, deadline="report"), _at(142)),
        (RevisitDue(archive_id=uuid7(), task_id=uuid7(), assignee_id=LI, kind="after_sale_7d", customer_name="王先生",
                    due_at=_at(60 * 24 * 7)), _at(143)),
        (GreetingDue(greeting_id=uuid7(), archive_id=uuid7(), occasion="important_date", occasion_name="结婚纪念日",
                     on=DAY.date(), customer=_sealed("王先生", 1)), _at(144)),
        (GreetingDue(greeting_id=uuid7(), archive_id=uuid7(), occasion="birthday", occasion_name="生日", on=DAY.date(),
                     customer=_sealed("赵女士", 2), account_manager_id=LI, gift=True), _at(144)),  # the gift notice
        (DealSubscribed(deal_id=deal, lead_id=LEADS["wang"], unit_id=uuid7(), owner_id=LI, agreed_price=289000000,
                        list_price=300000000, customer_name="王先生", price_approval="pending"), _at(145)),
        (PayoutDue(payout_id=uuid7(), kind="commission", deal_id=deal, amount=8940000, status="due",
                   beneficiary=Beneficiary(type="partner", id="p1", name="链家深圳湾店")), _at(146)),
        (LeadRegistered(lead_id=LEADS["wang"], customer=_customer("王先生", 1), source=LeadSource(channel="phone"),
                        owner_id=LI, grade="A", registered_by=XIAO), _at(0)),
        (LeadRegistered(lead_id=LEADS["zhao"], customer=_customer("赵女士", 2), source=LeadSource(channel="walk_in"),
                        owner_id=ZHOU, grade="B", registered_by="visit:v1"), _at(5)),
        (LeadRegistered(lead_id=LEADS["qian"], customer=_customer("钱先生", 3), owner_id=LI, grade="O", registered_by=LI,
                        source=LeadSource(channel="partner", partner_id="p1")), _at(10)),
        (LeadRegistered(lead_id=LEADS["sun"], customer=_customer("孙女士", 4), source=LeadSource(channel="online")), _at(15)),
        (LeadAssigned(lead_id=LEADS["sun"], owner_id=ZHOU, reason="manual"), _at(20)),
        (LeadClaimed(lead_id=LEADS["zhao"], owner_id=LI, previous_owner_id=ZHOU, reason="pool_claim"), _at(22)),
        (AppointmentScheduled(appointment_id="a1", start=start, end=start + timedelta(hours=1), **appt), _at(25)),
        (AppointmentRescheduled(appointment_id="a1", start=start + timedelta(days=1), end=start + timedelta(days=1, hours=1),
                                previous_start=start, **appt), _at(26)),
        (AppointmentScheduled(appointment_id="a2", consultant_id=ZHOU, customer=Contact(name="赵女士", email="zhao@example.com"),
                              kind="office_visit", start=start, end=start + timedelta(hours=1)), _at(27)),
        (AppointmentCancelled(appointment_id="a2", consultant_id=ZHOU, customer=Contact(name="赵女士", email="zhao@example.com"),
                              kind="office_visit", start=start, end=start + timedelta(hours=1), reason="客户有事"), _at(28)),
        (VisitCheckedIn(visit_id="v1", consultant_id=ZHOU, lead_id=LEADS["zhao"],
                        visitor=SealedVisitor(name="赵女士", phone_masked="138****0002", phone_hash="h2")), _at(30)),
        (VisitEnded(visit_id="v1", consultant_id=ZHOU, lead_id=LEADS["zhao"], outcome="有意向"), _at(90)),
        (LeadGraded(lead_id=LEADS["zhao"], grade="A", previous_grade="B", owner_id=ZHOU), _at(95)),
        (LeadFollowedUp(lead_id=LEADS["wang"], owner_id=LI, kind="call"), _at(100)),
        (LeadFollowUpOverdue(lead_id=LEADS["sun"], owner_id=ZHOU, due_at=_at(-60 * 24 * 3), missed_count=2), _at(110)),
        (LeadReclaimWarning(lead_id=LEADS["qian"], owner_id=LI, reclaim_at=_at(60 * 24 * 2)), _at(111)),
        (LeadWon(lead_id=LEADS["wang"], owner_id=LI, amount=1_500_000), _at(120)),
        (LeadLost(lead_id=LEADS["zhao"], owner_id=LI, reason="price", status_before="visited"), _at(130)),
        (LeadLost(lead_id=LEADS["sun"], owner_id=ZHOU, reason="离得太远", status_before="new"), _at(131)),
        (PartnerRegistered(partner_id="p1", kind="agency", name="链家深圳湾店"), _at(1)),
        (ChannelReportAccepted(report_id="r1", partner_id="p1"), _at(2)),
        (ChannelReportConfirmed(report_id="r1", partner_id="p1", lead_id=LEADS["qian"]), _at(12)),
        (ChannelReportRejected(report_id="r2", partner_id="p1", reason="open_lead"), _at(13)),
        (AttributionDisputed(dispute_id=dispute, report_id="r1", lead_id=LEADS["qian"], reason="我司经纪人首次带看"), _at(14)),
        (AttributionDisputeOverdue(dispute_id=dispute, report_id="r1", lead_id=LEADS["qian"], reason="我司经纪人首次带看",
                                   deadline=_at(60 * 8)), _at(60 * 9)),
        (ReceptionRequested(**rc), _at(40)),
        (ReceptionApproved(**rc), _at(50)),
        (ReceptionFeedbackOverdue(**rc), _at(60 * 5)),
        (LeadImportFinished(job_id=uuid7(), state="done", file_name="客户登记表.xlsx", uploaded_by=ZHANG, total=20, created=16,
                            duplicates=2, invalid=2, started_at=_at(200), finished_at=_at(201)), _at(201)),
    ]


@pytest.fixture
async def office_day(urls):
    """Reports and notify on the real stack, fed one office day; the digest runs at 20:00 branch time."""
    settings = isolated_settings(*urls)
    services = [ReportsService(ReportsSettings(digest=False)), NotifyService(notify_config())]
    async with running(services, settings) as (app, client):
        reports, notify = app.state.contexts["reports"], app.state.contexts["notify"]
        notify_types, reports_types = set(notify_table.classes), set(reports_table().classes)
        day = _office_day()
        first = [(d, w) for d, w in day if isinstance(d, BranchConfigured | StaffJoined | LeadRegistered)]
        # the office and its customers exist first, and an appointment is booked before it moves or is called off:
        # consumers may take one batch's events in any order, and notify rightly ignores a booking heard after its cancellation
        booked = [(d, w) for d, w in day if type(d) is AppointmentScheduled]
        for batch in (first, booked, [(d, w) for d, w in day if (d, w) not in first and (d, w) not in booked]):
            envs = []
            for data, when in batch:
                env = new_event(data, branch_id=BRANCH, subject=uuid7()).model_copy(update={"time": when})
                await publish_event(settings, env)
                envs.append(env)
            wanted = {f"reports-main:{e.id}" for e in envs if e.type in reports_types} | \
                {f"notify-main:{e.id}" for e in envs if e.type in notify_types}

            async def handled():
                return sum([await c.db.inbox.count_documents({"_id": {"$in": sorted(i for i in wanted if i[0] == c.name[0])}})
                            for c in (reports, notify)]) == len(wanted)

            if not await eventually(handled, timeout=60):
                done = {d["_id"] for c in (reports, notify) for d in await c.db.inbox.find({}, {"_id": 1}).to_list(10_000)}
                dead = [(d.get("type"), str(d.get("error"))[:300]) for c in (reports, notify)
                        for d in await c.db.dead_letters.find().to_list(100)]
                pytest.fail(f"not handled: {sorted({e.type for e in envs if any(w.endswith(e.id) and w not in done for w in wanted)})}; "
                            f"dead letters: {dead}")
        assert await run_digest(reports, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
        assert await eventually(lambda: notify.db.messages.find_one({"kind": "daily_digest"}), timeout=30)
        yield settings, reports, notify, client


async def test_every_message_notify_plans_for_an_office_day_reads_as_chinese(office_day):
    settings, _, notify, client = office_day
    manager = bearer(settings, "manager", [BRANCH], ZHANG)
    r = await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": "王先生", "phone": "+8613800000001",
                                                "birthday": "1980-03-15", "consent": {"sms": True}}, headers=manager)
    assert r.status_code == 200, r.text
    assert await plan_birthdays(notify, datetime(2030, 3, 15, 3, 0, tzinfo=UTC)) == 1
    r = await client.post("/v1/campaigns", headers=manager, json={
        "branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"},
        "audience": {"to": ["+8613800000009"]}, "send_at": "2030-01-28T02:00:00+00:00"})
    assert r.status_code == 201, r.text
    seen, problems = set(), {}
    for doc in await notify.db.messages.find({"template": {"$ne": None}}).to_list(1000):
        assert doc["status"] != "failed" or "contact" in (doc.get("error") or ""), doc
        out = await render_message(notify.db, notify.config, doc, await notify.state.directory.branch(doc["branch_id"]))
        seen.add(doc["template"])
        for text in (out.subject, out.body):
            if text and (bad := foreign(text) + NAMELESS.findall(text)):
                problems[f"{doc['template']}/{doc['channel']}: {text}"] = bad
    assert not problems, problems
    assert seen == {k for k, _, _ in DEFAULTS}, f"templates no trigger planned: {sorted({k for k, _, _ in DEFAULTS} - seen)}"


# ---- reports: every export as a sheet people open ----

def _sheet_text(fmt: str, content: bytes) -> list[str]:
    if fmt == "csv":
        return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    book = load_workbook(io.BytesIO(content))
    cells = [ws.title for ws in book.worksheets]
    return cells + [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


async def test_every_report_export_reads_as_chinese_with_names(office_day):
    settings, _, _, client = office_day
    auth = bearer(settings, "manager", [BRANCH], ZHANG)
    period = {"branch_id": BRANCH, "from": "2026-03-09", "to": "2026-03-11"}
    exports = [(f"/v1/reports/{n}", period) for n in REPORT_NAMES + BOOKS] + [
        ("/v1/reports/funnel", period | {"group_by": "consultant"}),
        ("/v1/reports/boards/weekly", {"branch_id": BRANCH, "date": "2026-03-10"}),
        ("/v1/reports/boards/monthly", {"branch_id": BRANCH, "month": "2026-03"})]
    problems, everything = {}, []
    for path, params in exports:
        for fmt in ("csv", "xlsx"):
            r = await client.get(path, params=params | {"format": fmt}, headers=auth)
            assert r.status_code == 200, (path, fmt, r.text)
            assert "filename*=UTF-8''" in r.headers["content-disposition"]
            for cell in _sheet_text(fmt, r.content):
                everything.append(cell)
                if bad := foreign(cell):
                    problems[f"{path} {params.get('group_by', '')} {fmt}: {cell}"] = bad
    assert not problems, problems
    text = "\n".join(everything)
    for expected in ("新增客户按顾问：李娜", "接待到访按顾问：周强", "新增客户按渠道：来电", "价格", "离得太远", "流失阶段：已到访",
                     "驳回原因：已有在跟客户", "链家深圳湾店", "A类", "A级", "跟进及时率", "周看板"):
        assert expected in text, expected


async def test_the_partners_sheet_names_a_registered_partner(urls):
    settings = isolated_settings(*urls)
    async with running([ReportsService(ReportsSettings(digest=False))], settings) as (app, client):
        reports = app.state.contexts["reports"]
        envs = [new_event(PartnerRegistered(partner_id="agency-lianjia-sz", kind="agency", name="链家深圳湾店"),
                          branch_id=BRANCH, subject="agency-lianjia-sz"),
                new_event(ChannelReportAccepted(report_id="r9", partner_id="agency-lianjia-sz"), branch_id=BRANCH, subject="r9")]
        for env in envs:
            await publish_event(settings, env.model_copy(update={"time": DAY}))
        assert await eventually(lambda: _all_in(reports, [f"reports-main:{e.id}" for e in envs]))
        r = await client.get("/v1/reports/partners", headers=bearer(settings, "manager", [BRANCH]),
                             params={"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-10", "format": "csv"})
        text = r.content.decode("utf-8-sig")
        assert "链家深圳湾店" in text and not foreign(text), text


async def _all_in(ctx, ids: list[str]) -> bool:
    return await ctx.db.inbox.count_documents({"_id": {"$in": ids}}) == len(ids)


# ---- console: every GET screen of a seeded office, as each role sees it ----

ROLES = ("manager", "consultant", "reception", "partner", "finance")
SKIP_PATHS = ("/static/", "/lang/", "/chart/", "/export/", "/signout")
PARAMS = re.compile(r"{(\w+)}")
# What other work on issue 15 is changing in the console right now: a line of a screen whose only
# findings match one of these makes the case an expected failure (xfail) naming it, instead of a failure;
# anything else on the screen still fails. Remove an entry once its fix has landed.
IN_PROGRESS: list[tuple[str, str]] = [  # (pattern, why): known gaps being fixed, reported as xfail meanwhile
]


def _screens() -> list[str]:
    paths = []
    for router in SCREENS:
        for route in router.routes:
            if "GET" in getattr(route, "methods", set()) and not any(s in route.path for s in SKIP_PATHS):
                paths.append(route.path)
    boards = [f"/console/manager?report={n}" for n in REPORT_NAMES] + ["/console/manager?report=funnel&group_by=consultant"]
    return sorted(set(paths)) + (boards if "/console/manager" in paths else [])


class _Visible(HTMLParser):
    """The text a person sees on a page: text outside scripts and styles, and the attributes read aloud or shown."""

    SHOWN = ("placeholder", "title", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        a = dict(attrs)
        self.parts += [a[k] for k in self.SHOWN if a.get(k)]
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def _seed(office) -> dict[str, str]:
    """Customers, a visit, an appointment, a channel report, a dispute and a reception, through the public API;
    a step the API refuses is left out (the screens are judged on what there is)."""
    api, ids = office.api, {"branch_id": office.branch, "staff_id": office.staff["consultant1"]}

    def call(method, path, who, body):
        for _ in range(20):  # reception learns of a new lead from its event a moment later
            r = api.request(method, path, headers=who, json=body)
            if r.status_code != 422 or "unknown-lead" not in r.text:
                break
            time.sleep(0.25)
        return r.json() if r.status_code < 300 and r.content else {}

    c1 = office.staff["consultant1"]
    lead = call("POST", "/v1/leads", office.as_("consultant", "consultant1"), {
        "branch_id": office.branch, "customer": {"name": "王先生", "phone": "13800001111", "gender": "male"},
        "source": {"channel": "phone"}, "grade": "A"})
    ids["lead_id"] = lead.get("id", "")
    call("POST", f"/v1/leads/{ids['lead_id']}/follow-up", office.as_("consultant", "consultant1"),
         {"kind": "wechat", "note": "客户想看南向三房"})
    other = call("POST", "/v1/leads", office.as_("manager"), {
        "branch_id": office.branch, "customer": {"name": "赵女士", "phone": "13800002222", "gender": "female"},
        "source": {"channel": "walk_in"}, "owner_id": office.staff["consultant2"]})
    call("POST", f"/v1/leads/{other.get('id')}/close", office.as_("manager"),
         {"outcome": "lost", "reason": "price", "note": "预算不足"})
    start = (utcnow() + timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)
    call("POST", "/v1/appointments", office.as_("consultant", "consultant1"), {
        "branch_id": office.branch, "consultant_id": c1, "lead_id": ids["lead_id"] or None,
        "customer": {"name": "王先生", "phone": "13800001111"}, "kind": "showing", "on_site": True, "party_size": 3,
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    call("POST", f"/v1/rotation/{office.branch}/join", office.as_("reception"), {"consultant_id": c1})
    call("POST", "/v1/visits", office.as_("reception"), {"branch_id": office.branch, "party_size": 2,
                                                          "visitor": {"name": "孙先生", "phone": "13800003333"}})
    report = call("POST", "/v1/channel-reports", office.as_("partner", office.partner(PARTNER)), {
        "branch_id": office.branch, "customer_name": "钱先生", "gender": "male", "phone": "138****4444"})
    if report.get("id"):
        call("POST", "/v1/attribution-disputes", office.as_("partner", office.partner(PARTNER)), {"report_id": report["id"], "claim": "我司首次带看"})
    sheet = "客户姓名,手机号码,意向等级,置业顾问,来源渠道,登记日期\r\n李先生,13800005555,A级,顾问张三,自然到访,2026-01-05\r\n" \
            "周女士,12345,B,顾问李四,电话,2026-01-06\r\n"
    job = api.post("/v1/leads/import", headers=office.as_("manager"), data={"branch_id": office.branch},
                   files={"file": ("客户登记表.csv", sheet.encode("gbk"), "text/csv")})
    ids["job_id"], ids["fmt"] = (job.json().get("job_id", "") if job.status_code < 300 else ""), "csv"
    arrive = (utcnow() + timedelta(days=5)).replace(hour=2, minute=0, second=0, microsecond=0)
    call("POST", "/v1/receptions", office.as_("consultant", "consultant1"), {
        "branch_id": office.branch, "class": "C", "guests": [{"name": "刘总", "title": "总经理"}], "purpose": "项目洽谈",
        "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=2)).isoformat(), "resources": []})
    _seed_deals(office, ids)
    for _ in range(40):  # customers (issue 17): an archive of consultant1's, a revisit, a complaint about it
        archive = api.post("/v1/archives", headers=office.as_("manager"), json={
            "branch_id": office.branch, "customer": {"name": "冯先生", "phone": "13800006666", "birthday": "1980-05-20"},
            "category": "owner", "tier": "key", "account_manager_id": c1, "card": {
                "employer": "深圳湾科技", "position": "财务总监", "family": "已婚，一子", "preferences": "喜欢打高尔夫",
                "important_dates": [{"name": "结婚纪念日", "date": "10-01"}]}})
        if archive.status_code != 422:  # the service learns of new staff from their events a moment later
            break
        time.sleep(0.25)
    ids["archive_id"] = archive.json().get("id", "") if archive.status_code < 300 else ""
    if ids["archive_id"]:
        call("POST", f"/v1/archives/{ids['archive_id']}/revisits", office.as_("consultant", "consultant1"),
             {"kind": "phone", "note": "客户对物业服务满意", "satisfaction": 4})
        complaint = call("POST", "/v1/complaints", office.as_("reception"), {
            "branch_id": office.branch, "archive_id": ids["archive_id"], "channel": "phone", "category": "delivery",
            "severity": "major", "summary": "交房时发现客厅墙面开裂"})
        if complaint.get("id"):
            call("POST", f"/v1/complaints/{complaint['id']}/assign", office.as_("manager"), {"assignee_id": c1})
    export = call("POST", "/v1/lead-exports", office.as_("consultant", "consultant1"), {  # a masked list, ready at once
        "kind": "leads", "branch_id": office.branch, "full_numbers": False})
    if export.get("id"):
        ids |= {"kind": "leads", "export_id": export["id"]}
        ids.setdefault("fmt", "csv")
    return ids


PARTNER = "我爱我家"  # a registered partner account: partners sign in as one


def _seed_deals(office, ids: dict[str, str]) -> None:
    """Deals (issue 18): two units of the unit sheet, consultant1's customer subscribing one below the discount floor
    (a price awaiting approval), signed after approval and part paid; `deal_id` for the deal card."""
    api, manager = office.api, office.as_("manager")
    units = [api.post("/v1/units", headers=manager, json={
        "branch_id": office.branch, "project": "湾区壹号", "building": "3栋", "unit_no": no, "floor": 12,
        "product_type": "high_rise", "area": "89.50", "list_price": "2980000"}).json() for no in ("1201", "1202")]
    ids["deal_id"] = ""
    waiting = api.post("/v1/leads", headers=office.as_("consultant", "consultant1"), json={
        "branch_id": office.branch, "customer": {"name": "钱女士", "phone": "13800007777"}, "source": {"channel": "phone"}})
    if not ids.get("lead_id") or not units[0].get("id") or waiting.status_code != 201:
        return
    for lead_id, unit in ((waiting.json()["id"], units[1]), (ids["lead_id"], units[0])):
        for _ in range(40):  # deals learns of the lead from its event a moment later
            r = api.post("/v1/deals", headers=office.as_("consultant", "consultant1"), json={
                "lead_id": lead_id, "unit_id": unit["id"], "agreed_price": "2800000", "deposit": "50000"})
            if r.status_code != 404:
                break
            time.sleep(0.25)
    if r.status_code != 201:
        return
    ids["deal_id"] = deal_id = r.json()["id"]
    for path, who, body in ((f"/v1/deals/{deal_id}/price-approval", manager, {"decision": "approved", "reason": "同意"}),
                            (f"/v1/deals/{deal_id}/sign", manager, {"contract_no": "湾区2026-0001"}),
                            (f"/v1/deals/{deal_id}/payments", office.as_("finance"),
                             {"amount": "1000000", "paid_at": utcnow().isoformat(), "method": "mortgage", "reference": "按揭放款"})):
        api.post(path, headers=who, json=body)


@pytest.fixture(scope="module")
def seeded(system):  # noqa: F811
    """One office for every screen case, made as the console's tests make theirs, with a day's data."""
    base, settings = system
    branch = f"br-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=base, timeout=30) as api:
        office = Office(base, settings, branch, api)
        office.call("POST", "/v1/branches", office.admin, json={"id": branch, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai"})
        for key, role, name in (("manager", "manager", "王经理"), ("reception", "reception", "前台小李"),
                                ("consultant1", "consultant", "顾问张三"), ("consultant2", "consultant", "顾问李四"),
                                ("finance", "finance", "财务陈会计")):
            office.staff[key] = office.call("POST", "/v1/staff", office.admin,
                                            json={"branch_id": branch, "name": name, "role": role})["id"]
        office.staff["consultant"] = office.staff["consultant1"]
        yield office, _seed(office)


def _cases() -> list:
    return [pytest.param(role, path, id=f"{role}:{path}") for role in ROLES for path in _screens()]


def _judge(text: str, user: str) -> tuple[dict[str, list[str]], set[str]]:
    """Lines with findings nobody is working on, and the in-progress reasons of the rest."""
    unexpected, known = {}, set()
    for line in text.splitlines():
        if not (bad := foreign(line)):
            continue
        reasons = [why for pattern, why in IN_PROGRESS if re.search(pattern.replace("{user}", re.escape(user)), line)]
        if reasons:
            known.update(reasons)
        else:
            unexpected[line[:200]] = bad
    return unexpected, known


@pytest.mark.parametrize("role,path", _cases())
def test_every_console_screen_reads_as_chinese(seeded, role, path):
    office, ids = seeded
    missing = [p for p in PARAMS.findall(path) if not ids.get(p)]
    if missing:
        pytest.skip(f"no seeded {missing} for this screen")
    url = PARAMS.sub(lambda m: ids[m.group(1)], path)
    key = {"consultant": "consultant1"}.get(role, role)
    sub = office.staff[key] if role != "partner" else office.partner(PARTNER)
    token = mint_token(office.settings, sub, role, [office.branch])
    cookies = {"crm_console_token": token, "crm_console_branch": office.branch, "crm_console_lang": "zh-CN"}
    with httpx.Client(base_url=office.base_url, cookies=cookies, timeout=30, follow_redirects=True) as browser:
        r = browser.get(url)
    assert r.status_code < 500, f"{url}: {r.status_code}"
    kind = r.headers.get("content-type", "")
    if "html" not in kind and "csv" not in kind:
        return
    unexpected, known = _judge(visible_text(r.text) if "html" in kind else r.text, sub)
    assert not unexpected, f"{role} {url}: {unexpected}"
    if known:
        pytest.xfail("; ".join(sorted(known)))
