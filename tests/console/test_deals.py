"""Subscribing (认购) from the lead card in a real browser, a unit taken first explained in Chinese with the
holder's name, and who may open a deal card and the deal list."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.console.conftest import shot
from tests.console.deals_office import lead, open_office, status_of, subscribe, until


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        o.leads = {name: lead(o, name, phone, owner) for name, phone, owner in (  # type: ignore[attr-defined]
            ("周先生", "13800002001", "consultant1"), ("赵女士", "13800002002", "consultant2"),
            ("钱先生", "13800002003", "consultant1"), ("孙女士", "13800002004", "consultant1"),
            ("王先生", "13800002005", "consultant1"))}
        o.deal = subscribe(o, o.leads["王先生"]["id"], "1201", "2980000", "100000",  # type: ignore[attr-defined]
                           who=("consultant", "consultant1"))  # the last lead: deals has heard of all of them
        yield o


def test_a_consultant_subscribes_a_unit_from_the_lead_card(page_for, office):
    page = page_for("consultant1")
    page.goto(f"{office.base_url}/console/leads/{office.leads['周先生']['id']}")
    page.click("#subscribe-open")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/subscribe") and "周先生" in page.locator("#sub-customer").inner_text()
    options = page.locator("#sub-unit option").all_inner_texts()
    assert any("1302" in o and "¥3,180,000.00" in o for o in options)
    assert not any("1201" in o for o in options), "a subscribed unit is not offered"
    assert "3%" in page.locator("#subscribe").inner_text()
    page.select_option("#sub-unit", office.units["1302"]["id"])
    page.fill("#sub-price", "318万")
    page.fill("#sub-deposit", "5万")
    shot(page, "72-subscribe-form")
    page.click("#subscribe-submit")
    page.wait_for_load_state("networkidle")
    assert "/console/deals/" in page.url
    assert "认购成功" in page.locator(".flash").inner_text()
    assert page.locator("#deal-status").get_attribute("data-status") == "subscribed"
    assert page.locator("#deal-price").inner_text().startswith("¥3,180,000.00")
    assert page.locator("#deal-deposit").inner_text() == "¥50,000.00"
    assert page.locator("#deal-approval").inner_text() == "无需审批"
    assert page.locator("#deal-stages li.current").inner_text() == "认购"
    assert page.locator("#deal-owner").inner_text() == "顾问张三"
    assert page.locator("#sign-form").is_visible() and page.locator("#cancel-form").count() == 0
    assert page.locator("#pay-form").count() == 0, "payments follow signing, and are finance's or a manager's"
    assert "认购" in page.locator("#deal-history").inner_text()
    shot(page, "73-deal-card-subscribed")

    # back on the lead card's subscribe page the deal is listed and the unit is gone from the choice
    page.goto(f"{office.base_url}/console/leads/{office.leads['周先生']['id']}/subscribe")
    assert "1302" in page.locator("#lead-deals").inner_text()


def test_a_unit_taken_first_is_explained_naming_the_holder(page_for, office):
    # another consultant picks 1202 for its customer; a manager subscribes someone else to it meanwhile
    page = page_for("consultant2")
    page.goto(f"{office.base_url}/console/leads/{office.leads['赵女士']['id']}/subscribe")
    page.select_option("#sub-unit", office.units["1202"]["id"])
    page.fill("#sub-price", "3050000")
    subscribe(office, office.leads["钱先生"]["id"], "1202", "3050000")
    page.click("#subscribe-submit")
    page.wait_for_load_state("networkidle")
    error = page.locator("#subscribe-error")
    assert error.get_attribute("data-kind") == "unit-taken"
    assert "湾区壹号 3栋 1202 已被" in error.inner_text() and "请选择其他房源" in error.inner_text()
    assert "钱先生" not in error.inner_text(), "another consultant's customer stays unnamed to this one"
    assert page.input_value("#sub-price") == "3050000", "what was typed is kept"
    shot(page, "74-subscribe-unit-taken")

    manager = page_for("manager")
    manager.goto(f"{office.base_url}/console/leads/{office.leads['孙女士']['id']}/subscribe")
    manager.select_option("#sub-unit", office.units["1101"]["id"])
    manager.fill("#sub-price", "2880000")
    subscribe(office, office.leads["赵女士"]["id"], "1101", "2880000", who=("consultant", "consultant2"))
    manager.click("#subscribe-submit")
    manager.wait_for_load_state("networkidle")
    text = manager.locator("#subscribe-error").inner_text()
    assert "1101 已被认购" in text and "赵女士" in text and "顾问李四" in text, text
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", text), "names, not ids"


def test_who_may_open_a_deal_card_and_the_deal_list(office):
    card = f"/console/deals/{office.deal['id']}"
    for key in ("consultant1", "manager", "admin", "finance"):
        code, html = status_of(office, key, card)
        assert code == 200 and "王先生" in html and "¥2,980,000.00" in html, key
    code, html = status_of(office, "consultant2", card)
    assert code == 404 and "王先生" not in html, "another consultant's deal is not there for it"
    for key in ("reception",):
        code, html = status_of(office, key, card)
        assert code == 403 and "您的角色不能使用此页面" in html
    code, html = status_of(office, "", card, partner="渠道甲")
    assert code == 403 and "王先生" not in html

    # forms per role: the owner signs, a manager decides, cancels and changes the unit, finance only reads until signed
    _, owner = status_of(office, "consultant1", card)
    _, manager = status_of(office, "manager", card)
    _, finance = status_of(office, "finance", card)
    assert 'id="sign-form"' in owner and 'id="cancel-form"' not in owner and 'id="change-form"' not in owner
    assert all(f'id="{f}"' in manager for f in ("sign-form", "cancel-form", "change-form"))
    assert 'id="sign-form"' not in finance and 'id="cancel-form"' not in finance and 'id="pay-form"' not in finance
    assert "贷款未获批" in manager, "the branch's cancellation reasons, by name"

    _, mine = status_of(office, "consultant1", "/console/deals")
    theirs = until(lambda: (html := status_of(office, "consultant2", "/console/deals")[1]) and "赵女士" in html and html,
                   "consultant2's deal in its list")  # seen once in a loaded run: noted in the closing note
    _, all_ = status_of(office, "manager", "/console/deals")
    assert "王先生" in mine and "赵女士" not in mine
    assert "王先生" not in theirs
    assert "王先生" in all_ and "赵女士" in all_ and "顾问李四" in all_
    code, _ = status_of(office, "reception", "/console/deals")
    assert code == 403
    code, _ = status_of(office, "reception", f"/console/leads/{office.leads['周先生']['id']}/subscribe")
    assert code == 403


KEYS = re.compile(r"\b(?:deal|deals|unit|board|sub|appr|pay|com|payout|wan)\.[a-z_.-]+\b")


def test_the_deals_screens_switch_to_english_with_every_string_translated(office):
    pages = {"manager": ("/console/units", f"/console/deals/{office.deal['id']}", "/console/deals", "/console/manager/approvals",
                         "/console/finance", f"/console/leads/{office.leads['孙女士']['id']}/subscribe")}
    for key, paths in pages.items():
        for path in paths:
            code, html = status_of(office, key, path, lang="en")
            assert code == 200 and not KEYS.findall(html.replace('data-', '')), (path, KEYS.findall(html))
    _, card = status_of(office, "manager", f"/console/deals/{office.deal['id']}", lang="en")
    assert "Agreed price" in card and "Financing refused" in card and "¥2,980,000.00" in card
