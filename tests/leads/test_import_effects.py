"""What an import does beyond the leads: reports count each lead on its original registration date,
and nobody gets a notice per row (notify hears `import_id`; one `lead_import.finished` sums it up)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from crm_leads.plugin import LeadsService
from crm_leads.settings import LeadsSettings
from crm_notify.plugin import NotifyService
from crm_reports.plugin import ReportsService
from crm_reports.settings import ReportsSettings
from tests.leads.builders import new_phone
from tests.notify.support import notify_config
from tests.support.runtime import bearer, eventually, isolated_settings, running


async def test_imported_leads_count_on_their_own_dates_and_nobody_is_told_per_row(urls):
    settings = isolated_settings(*urls)
    plugins = [LeadsService(LeadsSettings(timers=False)), ReportsService(ReportsSettings(digest=False)),
               NotifyService(notify_config())]
    async with running(plugins, settings) as (app, client):
        admin, manager = bearer(settings, "admin", ["*"], "admin"), bearer(settings, "manager", ["b1"], "mgr-1")
        leads, notify = app.state.contexts["leads"], app.state.contexts["notify"]
        assert (await client.post("/v1/branches", json={"id": "b1", "name": "深圳湾售楼处"}, headers=admin)).status_code == 201
        consultant = (await client.post("/v1/staff", json={"branch_id": "b1", "name": "张三", "role": "consultant",
                                                           "phone": "13900139000"}, headers=admin)).json()["id"]
        sheet = ("客户姓名,手机号码,置业顾问,来源渠道,登记日期\n"
                 f"陈一,{new_phone()},张三,来电,2024-03-05\n"
                 f"林二,{new_phone()},张三,自然到访,2024-03-05\n"
                 f"黄三,{new_phone()},张三,网络,2024-03-06 23:30\n"
                 f"周四,{new_phone()},张三,活动,\n")
        r = await client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=manager,
                              files={"file": ("登记表.csv", sheet.encode("gbk"), "text/csv")})
        assert r.status_code == 200 and r.json()["created"] == 4, r.text
        lead_ids = [row["lead_id"] for row in r.json()["rows"]]

        async def traffic(first: str, last: str) -> dict[str, int]:
            got = await client.get("/v1/reports/daily-traffic", params={"branch_id": "b1", "from": first, "to": last},
                                   headers=manager)
            return {i["date"]: i["new_leads"] for i in got.json()["items"] if i["new_leads"]}

        async def counted():
            return await traffic("2024-03-01", "2024-03-31") == {"2024-03-05": 2, "2024-03-06": 1}

        assert await eventually(counted, timeout=30), await traffic("2024-03-01", "2024-03-31")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        assert await eventually(lambda: _equals(traffic(today, today), {today: 1})), "the row without a date counts today"
        items = (await client.get("/v1/reports/daily-traffic", params={"branch_id": "b1", "from": "2024-03-05",
                                                                        "to": "2024-03-05"}, headers=manager)).json()["items"]
        assert items[0]["by_channel"] == {"phone": 1, "walk_in": 1} and items[0]["by_consultant"] == {consultant: 2}
        funnel = (await client.get("/v1/reports/funnel", params={"branch_id": "b1", "from": "2024-03-05", "to": "2024-03-06"},
                                   headers=manager)).json()
        assert funnel["total"]["leads"] == 3, funnel

        async def heard_all():
            ids = [f"notify-main:{e}" for e in await _event_ids(leads, lead_ids)]
            return len(ids) == 4 and await notify.db.inbox.count_documents({"_id": {"$in": ids}}) == 4

        assert await eventually(heard_all, timeout=30), "notify did not consume the imported leads' events"
        assert await notify.db.messages.count_documents({"kind": "lead_assigned"}) == 0, "no SMS per imported row"


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


async def _event_ids(leads_ctx, lead_ids: list[str]) -> list[str]:
    """The ids of the imported leads' `lead.registered` events, from the stream."""
    import json

    from tests.support.runtime import stream_messages

    msgs = await stream_messages(leads_ctx.settings, subject=f"{leads_ctx.settings.subject_prefix}.b1.lead.registered")
    return [d["id"] for d in (json.loads(m.data) for m in msgs) if d["data"]["lead_id"] in lead_ids]
