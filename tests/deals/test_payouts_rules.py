"""Reward rules over HTTP: the seed office's defaults, a manager's save (section by section, If-Match),
bad tables refused with nothing stored, who may read and write, and new rules applied to new payouts."""

from __future__ import annotations

from tests.deals.test_payouts import BRANCH, office

PATH = f"/v1/reward-rules/{BRANCH}"


async def test_defaults_are_the_seed_offices(urls):
    async with office(urls) as o:
        r = await o.client.get(PATH, headers=o.as_("consultant"))
        rules = r.json()
        assert r.status_code == 200 and rules["version"] == 0 and rules["configured"] is False
        assert rules["commission_percent"] == "1.5" and rules["owner_reward"] == "5000.00"
        assert rules["employee_rewards"]["villa"] == "12000.00" and rules["employee_rewards"]["apartment"] == "3000.00"
        assert [(t["product_type_name"], t["min_price"], t["max_price"], t["rewards"]) for t in rules["public_tiers"]] == [
            ("别墅", "3000000.00", None, ["10000.00", "12000.00", "15000.00"]),
            ("别墅", "1800000.00", "3000000.00", ["4000.00", "6000.00", "10000.00"]),
            ("洋房", "500000.00", "1000000.00", ["2500.00", "3000.00", "3500.00"]),
            ("小高层", "500000.00", "1000000.00", ["2000.00", "2500.00", "3000.00"])]
        assert rules["reward_form_names"] == {"employee": "现金", "owner": "物业费抵扣", "public": "现金"}


async def test_who_may_read_and_save(urls):
    async with office(urls) as o:
        for role in ("admin", "manager", "consultant", "reception", "finance"):
            assert (await o.client.get(PATH, headers=o.as_(role))).status_code == 200, role
        for role in ("partner", "integrator"):
            assert (await o.client.get(PATH, headers=o.as_(role))).status_code == 403, role
        for role in ("consultant", "reception", "finance", "partner", "integrator"):
            r = await o.client.put(PATH, headers=o.as_(role), json={"owner_reward": "1"})
            assert r.status_code == 403, role
        stranger = o.as_("manager", "m9", ["gz-river"])
        assert (await o.client.get(PATH, headers=stranger)).status_code == 404
        assert (await o.client.put(PATH, headers=stranger, json={"owner_reward": "1"})).status_code == 404
        assert (await o.client.get(PATH, headers=o.as_("partner", branches=["gz-river"]))).status_code == 404
        r = await o.client.put(PATH, headers=o.as_("admin"), json={"owner_reward": 6000})
        assert r.status_code == 200 and r.json()["owner_reward"] == "6000.00" and r.json()["version"] == 1


async def test_bad_rules_are_refused_and_nothing_is_stored(urls):
    async with office(urls) as o:
        villa = {"product_type": "villa", "min_price": "1800000", "max_price": "3000000", "rewards": ["4000"]}
        bad = [
            ({"public_tiers": [villa, villa | {"min_price": "2500000", "max_price": None}]}, "overlapping-bands"),
            ({"public_tiers": [villa | {"max_price": "1800000"}]}, "empty-band"),
            ({"public_tiers": [villa | {"rewards": []}]}, "validation"),
            ({"public_tiers": [villa | {"rewards": ["-1"]}]}, "validation"),
            ({"public_tiers": [villa | {"product_type": "castle"}]}, "validation"),
            ({"owner_reward": "-0.01"}, "validation"),
            ({"owner_reward": "1.001"}, "validation"),
            ({"owner_reward": "NaN"}, "validation"),
            ({"commission_percent": "100.01"}, "validation"),
            ({"commission_percent": -1}, "validation"),
            ({"commission_percent": "abc"}, "validation"),
            ({"employee_rewards": {"villa": "1", "castle": "2"}}, "validation"),
            ({"reward_forms": {"owner": "gold_bars"}}, "validation"),
            ({"surprise": 1}, "validation"),
        ]
        for body, kind in bad:
            r = await o.client.put(PATH, headers=o.manager, json=body)
            assert r.status_code == 422 and r.json()["type"].endswith(kind), (body, r.text)
        r = await o.client.put(PATH, headers=o.manager | {"Content-Type": "application/json"}, content=b'{"owner_reward": ')
        assert r.status_code == 400
        after = (await o.client.get(PATH, headers=o.manager)).json()
        assert after["version"] == 0 and after["owner_reward"] == "5000.00" and len(after["public_tiers"]) == 4


async def test_a_save_keeps_other_sections_checks_if_match_and_applies_to_new_payouts(urls):
    async with office(urls) as o:
        r = await o.client.put(PATH, headers=o.manager | {"If-Match": "3"}, json={"commission_percent": "2"})
        assert r.status_code == 412
        r = await o.client.put(PATH, headers=o.manager | {"If-Match": "0"}, json={
            "commission_percent": "2.25", "reward_forms": {"owner": "shopping_card", "public": "cash"},
            "public_tiers": [{"product_type": "shop", "min_price": 0, "rewards": [800, "900.50"]}]})
        saved = r.json()
        assert r.status_code == 200 and saved["version"] == 1 and saved["configured"] and saved["updated_by"] == "m1"
        assert saved["commission_percent"] == "2.25" and saved["owner_reward"] == "5000.00", "untouched sections stay"
        assert saved["reward_forms"] == {"employee": "cash", "owner": "shopping_card", "public": "cash"}
        assert saved["public_tiers"] == [{"product_type": "shop", "product_type_name": "商铺", "min_price": "0.00",
                                          "max_price": None, "rewards": ["800.00", "900.50"]}]
        r = await o.client.put(PATH, headers=o.manager | {"If-Match": "0"}, json={"owner_reward": "1"})
        assert r.status_code == 412 and r.json()["current_version"] == 1
        await o.referrer("r1", "街坊")
        deal = o.deal(product="shop", price=123_456_789, partner="p1", referrer="r1")
        await o.sign(deal)
        # 1,234,567.89 × 2.25 % = 27,777.7775 → 27,777.78 (half up to the fen); the shop band's 1st reward
        await o.settled(deal["deal_id"], {("commission", "p1"): ("pending", "27777.78"),
                                          ("referral_reward", "r1"): ("pending", "800.00")})
