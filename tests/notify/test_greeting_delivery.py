"""greeting.due with the archive's consent (issue 17): consent true is consent for that branch and number, the newer
statement wins, an opt-out always wins, a frozen archive and quiet hours still hold; a key account's birthday tells
the account manager (else the branch's managers) to prepare a small gift, once, whatever the SMS consent says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_shared.branches import local_date
from crm_shared.events.customers import ArchiveFrozen, ArchiveOpened, GreetingDue
from crm_shared.events.reception import SealedVisitor
from crm_shared.ids import utcnow
from crm_shared.phones import mask, phone_hash, seal
from crm_notify.dispatch.service import dispatch_due
from crm_notify.optouts.service import has_consent
from tests.notify.support import BRANCH, configure_branch, join_staff, messages, notify_running, publish_and_wait, sent_by_console
from tests.support.runtime import bearer

OTHER = "gz-tower"
NOON = datetime(2030, 3, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT = datetime(2030, 3, 15, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
WANG, LI, ZHAO, SUN = "+8613800000011", "+8613800000012", "+8613800000013", "+8613800000014"
AM_PHONE, MANAGER_PHONE = "+8613900139000", "+8613900139001"


def person(settings, e164: str, name: str) -> SealedVisitor:
    return SealedVisitor(name=name, phone_masked=mask(e164), phone_hash=phone_hash(e164, settings.phone_hash_key),
                         phone_sealed=seal(e164, settings.phone_seal_key))


async def _team(settings, ctx, branch: str = BRANCH):
    await configure_branch(settings, ctx, branch=branch)
    await join_staff(settings, ctx, "c1", branch=branch, name="李娜", phone=AM_PHONE)
    await join_staff(settings, ctx, "m1", role="manager", branch=branch, name="张经理", phone=MANAGER_PHONE)


async def greet(settings, ctx, e164: str, name: str, gid: str, *, branch: str = BRANCH, occasion: str = "holiday",
                occasion_name: str = "春节", **extra):
    await publish_and_wait(settings, ctx, GreetingDue(
        greeting_id=gid, archive_id=f"a-{gid}", occasion=occasion, occasion_name=occasion_name,
        on=extra.pop("on", local_date(utcnow(), "Asia/Shanghai")), customer=person(settings, e164, name), **extra),
        branch=branch)


async def _status(ctx, to: str, branch: str = BRANCH) -> dict:
    [doc] = await messages(ctx, kind="greeting", to=to, branch_id=branch)
    return doc


async def test_the_archives_consent_lets_a_greeting_out_for_that_branch_and_number_only(urls):
    async with notify_running(urls) as (settings, ctx, client):
        for branch in (BRANCH, OTHER):
            await _team(settings, ctx, branch)
        given = utcnow() - timedelta(days=30)
        await greet(settings, ctx, WANG, "王先生", "g-yes", consent=True, consent_at=given)
        await greet(settings, ctx, LI, "李女士", "g-no")  # the archive never recorded consent
        await greet(settings, ctx, WANG, "王先生", "g-elsewhere", branch=OTHER)  # the same person, another branch
        assert await has_consent(ctx.db, BRANCH, "sms", WANG) and not await has_consent(ctx.db, OTHER, "sms", WANG)
        consent = await ctx.db.consents.find_one({"branch_id": BRANCH, "to": WANG})
        assert consent["via"] == "archive:a-g-yes" and consent["granted"] is True
        assert (await dispatch_due(ctx, NOON)).outcomes == {"sent": 1, "suppressed": 2}
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == WANG and "王先生" in sent["body"] and "春节快乐" in sent["body"] and "退订" in sent["body"]
        for to, branch in ((LI, BRANCH), (WANG, OTHER)):
            assert "consent" in (await _status(ctx, to, branch))["error"]


async def test_an_opt_out_always_wins_and_quiet_hours_and_freezes_still_hold(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        manager = bearer(settings, "manager", [BRANCH], "m1")
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": LI}, headers=manager)
        assert r.status_code in (200, 201), r.text
        now = utcnow()
        await greet(settings, ctx, LI, "李女士", "g-li", consent=True, consent_at=now)  # consent after the opt-out
        await greet(settings, ctx, WANG, "王先生", "g-wang", consent=True, consent_at=now)
        await publish_and_wait(settings, ctx, ArchiveOpened(archive_id="ar-zhao", number="000007", category="owner",
                                                            tier="key", customer=person(settings, ZHAO, "赵先生")))
        await publish_and_wait(settings, ctx, ArchiveFrozen(archive_id="ar-zhao", number="000007", category="owner",
                                                            tier="key", frozen=True, reason="客户要求"))
        await greet(settings, ctx, ZHAO, "赵先生", "g-zhao", consent=True, consent_at=now)
        assert (await dispatch_due(ctx, NIGHT)).outcomes == {"deferred": 1, "suppressed": 2}
        assert "opted out" in (await _status(ctx, LI))["error"]
        assert "frozen" in (await _status(ctx, ZHAO))["error"]
        assert await sent_by_console(ctx) == [], "nothing at night"
        assert (await dispatch_due(ctx, NIGHT + timedelta(hours=10))).outcomes == {"sent": 1}
        assert [m["to"] for m in await sent_by_console(ctx)] == [WANG]
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": WANG}, headers=manager)
        await greet(settings, ctx, WANG, "王先生", "g-wang-2", occasion="important_date", occasion_name="结婚纪念日",
                    consent=True, consent_at=utcnow())
        assert (await dispatch_due(ctx, NOON + timedelta(days=1))).outcomes == {"suppressed": 1}, "a later opt-out wins"


async def test_the_newer_statement_about_consent_wins(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        manager = bearer(settings, "manager", [BRANCH], "m1")
        long_ago = utcnow() - timedelta(days=60)
        await greet(settings, ctx, WANG, "王先生", "g-1", consent=True, consent_at=long_ago)
        assert await has_consent(ctx.db, BRANCH, "sms", WANG)
        r = await client.post("/v1/contacts", headers=manager, json={"branch_id": BRANCH, "name": "王先生", "phone": WANG,
                                                                      "consent": {"sms": False}})
        assert r.status_code == 200, r.text
        await greet(settings, ctx, WANG, "王先生", "g-2", occasion="important_date", occasion_name="结婚纪念日",
                    consent=True, consent_at=long_ago)  # the archive's old consent again: the contact's no is newer
        assert not await has_consent(ctx.db, BRANCH, "sms", WANG)
        await greet(settings, ctx, WANG, "王先生", "g-3", occasion="birthday", occasion_name="生日",
                    consent=True, consent_at=utcnow())  # given again at the office, after the contact's no
        assert await has_consent(ctx.db, BRANCH, "sms", WANG)
        await greet(settings, ctx, SUN, "孙女士", "g-sun", consent=True, consent_at=long_ago)
        await greet(settings, ctx, SUN, "孙女士", "g-sun-2", occasion="birthday", occasion_name="生日",
                    consent=False, consent_at=utcnow())  # withdrawn in the archive
        assert not await has_consent(ctx.db, BRANCH, "sms", SUN)
        await greet(settings, ctx, SUN, "孙女士", "g-sun-3", occasion="important_date", occasion_name="乔迁纪念日",
                    consent=True, consent_at=long_ago)  # a stale consent never undoes the withdrawal
        assert not await has_consent(ctx.db, BRANCH, "sms", SUN)
        await greet(settings, ctx, LI, "李女士", "g-li", consent=False)  # never recorded: says nothing
        assert await ctx.db.consents.find_one({"branch_id": BRANCH, "to": LI}) is None


async def test_a_key_accounts_birthday_asks_the_account_manager_for_a_gift_once(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        for _ in range(2):  # redelivered as a new event: one notice
            await greet(settings, ctx, WANG, "王先生", "g-gift", occasion="birthday", occasion_name="生日", gift=True,
                        account_manager_id="c1")
        await greet(settings, ctx, LI, "李女士", "g-nobody", occasion="birthday", occasion_name="生日", gift=True)
        await greet(settings, ctx, ZHAO, "赵先生", "g-plain", occasion="birthday", occasion_name="生日",
                    account_manager_id="c1")
        notices = await messages(ctx, kind="greeting_gift")
        assert sorted((m["to"], m["category"]) for m in notices) == [(AM_PHONE, "transactional"),
                                                                     (MANAGER_PHONE, "transactional")]
        outcomes = (await dispatch_due(ctx, NIGHT)).outcomes  # staff notices keep no quiet hours; SMS greetings wait
        assert outcomes.get("sent") == 2
        am = (await sent_by_console(ctx, to=AM_PHONE))[0]["body"]
        assert am.endswith("李娜，今天是客户王先生的生日，请准备一份小礼物。"), am
        manager = (await sent_by_console(ctx, to=MANAGER_PHONE))[0]["body"]
        assert "张经理" in manager and "李女士" in manager and "小礼物" in manager
        assert "g-gift" not in am and "c1" not in am
        assert {(m["to"], m["status"]) for m in await messages(ctx, kind="greeting")} >= {(WANG, "suppressed")}, \
            "no SMS consent: no greeting to the customer, but the gift is still prepared"


async def test_a_late_greeting_names_the_birthdays_date(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await greet(settings, ctx, WANG, "王先生", "g-late", occasion="birthday", occasion_name="生日", gift=True,
                    account_manager_id="c1", on=datetime(2029, 3, 14).date())
        await dispatch_due(ctx, NOON)
        [notice] = await sent_by_console(ctx, to=AM_PHONE)
        assert "2029年3月14日是客户王先生的生日" in notice["body"] and "今天" not in notice["body"]
