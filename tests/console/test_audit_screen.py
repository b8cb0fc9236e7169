"""The manager's audit screen lists every full-number reveal, not only the leads': appointments' contacts,
visitors' phones, messages' recipients and archives' phones — who (by name), what (in words), which customer
(masked, by name where the manager may read it), when (branch time). Reveals are made through the services."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from crm_shared.ids import utcnow
from tests.console.deals_office import browser, lead, open_office, status_of, until
from tests.console.test_unit_import import IDS
from tests.shared.test_text_zh import foreign, visible_text


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        c1, manager = o.staff["consultant1"], o.as_("manager")
        song = lead(o, "宋先生", "13800007101")
        start = (utcnow() + timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)

        def booked():
            r = api.post("/v1/appointments", headers=o.as_("consultant", "consultant1"), json={
                "branch_id": o.branch, "consultant_id": c1, "lead_id": song["id"], "kind": "showing",
                "customer": {"name": "宋先生", "phone": "13800007101"}, "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat()})
            return r.json() if r.status_code == 201 else None

        appointment = until(booked, "reception to know the consultant and the lead")
        visit = o.call("POST", "/v1/visits", o.as_("reception"),
                       json={"branch_id": o.branch, "visitor": {"name": "韩女士", "phone": "13800007102"}, "party_size": 1})

        def archived():
            r = api.post("/v1/archives", headers=manager, json={
                "branch_id": o.branch, "customer": {"name": "老业主", "phone": "13900007103"}, "category": "owner",
                "account_manager_id": c1})
            return r.json() if r.status_code == 201 else None

        archive = until(archived, "customers to know the staff")
        message = o.call("POST", "/v1/messages", manager, json={"branch_id": o.branch, "channel": "sms", "to": "13800007104",
                                                                 "body": "您好，交房通知请查收。"})
        o.call("GET", f"/v1/appointments/{appointment['id']}/contact", o.as_("consultant", "consultant1"),
               params={"reason": "确认看房时间"})
        o.call("GET", f"/v1/visits/{visit['id']}/phone", manager, params={"reason": "回电"})
        o.call("GET", f"/v1/archives/{archive['id']}/phone", manager, params={"reason": "交房通知"})
        o.call("GET", f"/v1/messages/{message['id']}/recipient", manager, params={"reason": "核对号码"})
        o.objects = {"archive": archive}  # type: ignore[attr-defined]
        yield o


def _rows(html: str) -> list[str]:
    return [visible_text(m).replace("\n", " ") for m in re.findall(r'<tr class="audit-row">(.*?)</tr>', html, re.S)]


def test_every_kind_of_reveal_is_listed_with_names_and_words(office):
    expect = {"appointments": ("顾问张三", "置业顾问", "查看预约客户完整联系方式", "宋先生", "138****7101", "确认看房时间"),
              "visits": ("王经理", "查看来访客户完整手机号", "韩女士", "138****7102", "回电"),
              "archives": ("王经理", "查看档案客户完整手机号", f"档案 {office.objects['archive']['number']}", "139****7103", "交房通知"),
              "messages": ("王经理", "查看短信/邮件完整收件人", "138****7104", "核对号码")}
    with browser(office, "manager") as b:
        leads_page = b.get("/console/manager/audit")
        assert leads_page.status_code == 200 and 'id="audit-tabs"' in leads_page.text
        for kind in expect:
            assert f'href="/console/manager/audit/{kind}"' in leads_page.text
        for kind, words in expect.items():
            r = b.get(f"/console/manager/audit/{kind}")
            assert r.status_code == 200, kind
            rows = _rows(r.text)
            assert len(rows) == 1, (kind, rows)
            for w in words:
                assert w in rows[0], (kind, w, rows[0])
            assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", rows[0])
            text = visible_text(r.text)
            assert not IDS.search(text) and not foreign(text), (kind, foreign(text))
            assert "13800007101" not in r.text and "13800007102" not in r.text and "13900007103" not in r.text
        archive = b.get("/console/manager/audit/archives")
        assert f'/console/archives/{office.objects["archive"]["id"]}' in archive.text
        assert b.get("/console/manager/audit/nothing").status_code == 404


def test_only_managers_read_the_audits(office):
    for key in ("consultant1", "reception", "finance"):
        code, html = status_of(office, key, "/console/manager/audit/visits")
        assert code == 403 and "韩女士" not in html, key
