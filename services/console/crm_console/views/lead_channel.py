"""Who brought a lead, by name, for its card: the channel partner (and agency) its attribution credits,
with the protection's end, or the 全民营销 referrer it names."""

from __future__ import annotations

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import q
from crm_console.web import Screen

i18n.register({
    "lead.channel_partner": {"zh-CN": "报备渠道", "en": "Reported by"},
    "lead.channel_protected": {"zh-CN": "保护期至 {date}", "en": "protected until {date}"},
    "lead.referrer": {"zh-CN": "推荐人（全民营销）", "en": "Referrer"},
    "lead.referrer_credited": {"zh-CN": "首次登记，计入推荐", "en": "first registration: credited"},
    "lead.unnamed": {"zh-CN": "未登记", "en": "not registered"},
})


async def _name(s: Screen, path: str) -> dict | None:
    try:
        return await s.api.get(path)
    except ApiError:  # not registered, or not the caller's to read
        return None


async def of(s: Screen, lead: dict) -> dict:
    """`partner` (name, agency name, protection end) and `referrer` (name, credited) of a lead, where it has them."""
    attribution, source = lead.get("attribution") or {}, lead.get("source") or {}
    out: dict = {}
    if pid := attribution.get("partner_id"):
        account = await _name(s, f"/v1/partners/{q(pid)}") or {}
        out["partner"] = {"name": account.get("name") or s.t("lead.unnamed"), "agency": account.get("agency_name"),
                          "until": attribution.get("protection_until")}
    if rid := source.get("referrer_id"):
        referrer = await _name(s, f"/v1/referrers/{q(rid)}") or {}
        out["referrer"] = {"name": referrer.get("name") or s.t("lead.unnamed"), "credited": attribution.get("referrer_id") == rid}
    return out
