"""The deals and customers reports on the manager board (成交统计 by consultant, channel, partner, referrer and
product type; 换房/退房一览表; 特殊优惠客户一览表; 佣金与奖励; 投诉统计; 回访执行; 顾客档案等级), their charts and
CSV/XLSX files; finance's own screen with the two it may read; the funnel's deal stages (认购/签约/回款). Deals are
made through the services and counted by the reports service from their events."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest

from crm_shared.ids import utcnow
from tests.console.deals_office import act, browser, lead, open_office, status_of, subscribe, until
from tests.console.test_unit_import import IDS
from tests.shared.test_text_zh import foreign, visible_text

BOOKS = ("sales", "deal-changes", "discounts", "payouts", "complaints", "revisits", "customers")


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        song = lead(o, "宋先生", "13800008001", channel="phone")
        han = lead(o, "韩女士", "13800008002", owner="consultant2")
        sold = subscribe(o, song["id"], "1201", "2800000")  # below the 3% line: a price to approve (特殊优惠)
        act(o, sold["id"], "price-approval", {"decision": "approved", "reason": "老客户优惠"})
        act(o, sold["id"], "sign", {"contract_no": "HT-2026-0801"})
        act(o, sold["id"], "payments", {"amount": "1000000", "paid_at": utcnow().isoformat(), "method": "mortgage"},
            who=("finance",), expect=201)
        gone = subscribe(o, han["id"], "1202", "3050000")
        act(o, gone["id"], "cancel", {"reason": "other", "note": "客户资金不足"})
        o.deals = {"sold": sold, "gone": gone}  # type: ignore[attr-defined]

        def counted() -> bool:
            sales = o.api.get("/v1/reports/sales", headers=o.as_("manager"), params=_week(o) | {"branch_id": o.branch})
            changes = o.api.get("/v1/reports/deal-changes", headers=o.as_("manager"), params=_week(o) | {"branch_id": o.branch})
            return (sales.status_code == 200 and sales.json()["total"]["units"] == 1
                    and sales.json()["total"]["collected_amount"] == "1000000.00"
                    and changes.status_code == 200 and changes.json()["total"]["cancellations"] == 1)

        until(counted, "the reports service to count the deals", timeout=60)
        yield o


def _week(o) -> dict:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}


def _table(html: str) -> str:
    m = re.search(r'<section class="card" id="report".*?</section>', html, re.S)
    assert m, "the report section"
    return visible_text(m.group(0))


def test_the_manager_board_shows_sales_by_every_dimension_with_names(office):
    with browser(office, "manager") as b:
        board = b.get("/console/manager")
        tabs = re.findall(r'data-report="([\w-]+)"', board.text)
        assert all(name in tabs for name in BOOKS), tabs
        r = b.get("/console/manager?report=sales")
        assert r.status_code == 200
        text = _table(r.text)
        assert "成交统计" in text and "顾问张三" in text and "合计" in text and "¥2,800,000.00" in text
        assert "¥1,000,000.00" in text, "回款金额"
        assert not IDS.search(text) and not foreign(text), foreign(text)
        for group, word in (("channel", "来电"), ("product_type", "小高层"), ("partner", "置业顾问"), ("referrer", "推荐人")):
            page = b.get(f"/console/manager?report=sales&group_by={group}")
            assert page.status_code == 200 and 'data-group="%s"' % group in page.text
            shown = _table(page.text)
            assert not IDS.search(shown) and not foreign(shown), (group, foreign(shown))
            if group in ("channel", "product_type"):
                assert word in shown, (group, shown)
        chart = b.get("/console/manager/chart/sales.svg?" + "&".join(f"{k}={v}" for k, v in _week(office).items()) + "&group_by=product_type")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg")
        xlsx = b.get("/console/manager/export/sales.xlsx?group_by=consultant")
        assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert "顾问张三" in cells and not [c for c in cells if IDS.search(c)]
        csv = b.get("/console/manager/export/deal-changes.csv")
        assert csv.status_code == 200 and "韩女士" in csv.content.decode("utf-8-sig")


def test_every_new_report_reads_as_chinese_with_its_words(office):
    expect = {"deal-changes": ("换房/退房一览表", "退房", "韩女士", "顾问李四", "按原因汇总"),
              "discounts": ("特殊优惠客户一览表", "宋先生", "王经理", "老客户优惠", "¥180,000.00"),
              "payouts": ("佣金与奖励",), "complaints": ("投诉统计", "质量", "交付", "合计"),
              "revisits": ("回访执行",), "customers": ("顾客档案等级", "核心", "重点", "一般")}
    with browser(office, "manager") as b:
        for name, words in expect.items():
            r = b.get(f"/console/manager?report={name}")
            assert r.status_code == 200, name
            text = _table(r.text)
            for w in words:
                assert w in text, (name, w)
            assert not IDS.search(text) and not foreign(text), (name, foreign(text))
            assert f"/console/manager/chart/{name}.svg" in r.text and f"/console/manager/export/{name}.xlsx" in r.text
            chart = b.get(f"/console/manager/chart/{name}.svg")
            assert chart.status_code == 200, name


def test_the_funnel_shows_the_deal_stages(office):
    with browser(office, "manager") as b:
        r = b.get("/console/manager?report=funnel&group_by=consultant")
    assert r.status_code == 200
    stages = dict(re.findall(r'data-stage="(\w+)"><div class="kpi">([\d,]+)<', r.text))
    assert set(stages) == {"leads", "visited", "subscribed", "signed", "paid"}
    assert int(stages["subscribed"]) >= 2 and int(stages["signed"]) >= 1
    text = _table(r.text)
    for word in ("认购", "签约", "回款", "签约率"):
        assert word in text
    assert not foreign(text), foreign(text)


def test_finance_reads_sales_and_payouts_and_nothing_else(office):
    with browser(office, "finance") as b:
        home = b.get("/console/finance")
        assert 'href="/console/finance/reports"' in home.text
        r = b.get("/console/finance/reports")
        assert r.status_code == 200 and "顾问张三" in _table(r.text)
        assert re.findall(r'data-report="([\w-]+)"', r.text) == ["sales", "payouts", "sales"]
        assert b.get("/console/finance/reports?report=payouts").status_code == 200
        assert b.get("/console/finance/reports?report=complaints").status_code == 404
        assert b.get("/console/finance/reports/export/sales.csv").status_code == 200
        assert b.get("/console/finance/reports/chart/payouts.svg").status_code == 200
        assert b.get("/console/finance/reports/export/complaints.csv").status_code == 404
        assert b.get("/console/manager?report=sales").status_code == 403
    for key in ("consultant1", "reception"):
        assert status_of(office, key, "/console/finance/reports")[0] == 403
