"""The words triggers put into template data, one catalogue per language (zh-CN first, en).

A template shows names and words, never an id or an enum code: an appointment's kind, why a
lead was assigned, a digest's figures and a reception's class are looked up here in the
message's language; a code this catalogue does not know is left out rather than shown.
"""

from __future__ import annotations

from typing import Any

from crm_shared import words as shared_words

KINDS = {"zh-CN": {"showing": "看房", "office_visit": "到访售楼处", "signing": "签约"},
         "en": {"showing": "showing", "office_visit": "office visit", "signing": "signing"}}

ASSIGN_REASONS = {
    "zh-CN": {"manual": "经理分配", "pool_claim": "公海领取", "staff_left": "原顾问离职转交", "no_follow_up": "公海回收后分配",
              "new_lead": "新登记客户", "rotation": "轮排分配", "reassigned": "经理改派", "import": "导入分配"},
    "en": {"manual": "assigned by a manager", "pool_claim": "claimed from the pool", "staff_left": "handed over from a colleague who left",
           "no_follow_up": "from the pool", "new_lead": "newly registered", "rotation": "by rotation",
           "reassigned": "reassigned by a manager", "import": "imported"},
}

CUSTOMER = {"zh-CN": ("客户{name}", "（{phone}）", "一位客户"), "en": ("customer {name}", " ({phone})", "a customer")}

CHANNELS = shared_words.CHANNELS_INLINE
"""A lead's channel in the words of the console and the reports' exports (crm_shared.words)."""

# digest summary field -> label; the order is the order of the lines
DIGEST = {
    "zh-CN": {"new_leads": "新增客户", "visits": "到访", "walk_ins": "自然到访", "appointment_arrivals": "预约到访",
              "returning_visits": "复访", "appointments": "新增预约", "calls": "来电", "follow_ups": "跟进",
              "deals": "成交", "deal_amount": "成交金额", "lost": "流失", "overdue": "跟进逾期",
              "compliance_rate": "跟进及时率", "no_shows": "爽约", "appointments_cancelled": "预约取消",
              "partner_reports": "渠道报备", "partner_deals": "渠道成交", "receptions_completed": "完成接待",
              "reception_spent": "接待花费", "by_channel": "新增来源", "grade_mix": "新增等级",
              "top_lost_reasons": "主要流失原因"},
    "en": {"new_leads": "New customers", "visits": "Visits", "walk_ins": "Walk-ins", "appointment_arrivals": "Appointment arrivals",
           "returning_visits": "Returning visits", "appointments": "New appointments", "calls": "Calls",
           "follow_ups": "Follow-ups", "deals": "Deals", "deal_amount": "Deal amount", "lost": "Lost",
           "overdue": "Overdue follow-ups", "compliance_rate": "Follow-up compliance", "no_shows": "No-shows",
           "appointments_cancelled": "Cancelled appointments", "partner_reports": "Partner reports",
           "partner_deals": "Partner deals", "receptions_completed": "Receptions completed",
           "reception_spent": "Reception spend", "by_channel": "New by channel", "grade_mix": "New by grade",
           "top_lost_reasons": "Top lost reasons"},
}
COMPLAINT_CATEGORIES = {
    "zh-CN": {"quality": "质量", "service": "服务", "delivery": "交付", "sales_promise": "销售承诺", "other": "其他"},
    "en": {"quality": "quality", "service": "service", "delivery": "delivery", "sales_promise": "sales promise",
           "other": "other"},
}
SEVERITIES = {"zh-CN": {"major": "重大", "normal": "一般"}, "en": {"major": "major", "normal": "normal"}}
DEADLINES = {"zh-CN": {"report": "调查报告", "handling": "处理"},
             "en": {"report": "investigation report", "handling": "handling"}}
"""Which complaint deadline was missed (`complaint.overdue.deadline`)."""
REVISIT_KINDS = {
    "zh-CN": {"after_sale_7d": "签约后7天回访", "after_sale_30d": "签约后30天回访", "handover": "交房回访",
              "anniversary": "周年回访", "tier_cycle": "定期回访"},
    "en": {"after_sale_7d": "7-day after-sale call", "after_sale_30d": "30-day after-sale call", "handover": "handover call",
           "anniversary": "anniversary call", "tier_cycle": "regular call"},
}
PAYOUT_KINDS = {"zh-CN": {"commission": "渠道佣金", "referral_reward": "全民营销奖励"},
                "en": {"commission": "partner commission", "referral_reward": "referral reward"}}
REWARD_FORMS = {"zh-CN": {"cash": "现金", "property_fee": "物业费抵扣", "shopping_card": "购物卡"},
                "en": {"cash": "cash", "property_fee": "property-fee credit", "shopping_card": "shopping card"}}
BENEFICIARY = {"zh-CN": {"partner": "合作渠道", "referrer": "推荐人"}, "en": {"partner": "a partner", "referrer": "a referrer"}}
"""Who a payout goes to, when the event does not name them."""
MONEY = {"deal_amount", "reception_spent"}
RATES = {"compliance_rate"}
GRADE = {"zh-CN": "{g}级", "en": "grade {g}"}
LIST_SEP = {"zh-CN": ("：", "、", " "), "en": (": ", ", ", " ")}
CURRENCY = {"zh-CN": "{v}元", "en": "CNY {v}"}


def pick(table: dict[str, dict[str, str]], locale: str, code: str | None) -> str:
    """The word for a code in a language (zh-CN when the language is unknown); "" for an unknown code."""
    return table.get(locale, table["zh-CN"]).get(code or "", "")


def money_text(fen: int | None, locale: str) -> str:
    """Integer fen as people read an amount (`2,980,000.50元`); "" when there is none. No float arithmetic."""
    if fen is None or isinstance(fen, bool):
        return ""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return CURRENCY.get(locale, CURRENCY["zh-CN"]).format(v=f"{sign}{fen // 100:,}.{fen % 100:02d}")


def customer_phrase(name: str | None, phone_masked: str | None, locale: str) -> str:
    """`客户王先生（138****5678）`, or `一位客户` when notify does not know the customer's name."""
    named, phone, nobody = CUSTOMER.get(locale, CUSTOMER["zh-CN"])
    if not name:
        return nobody
    return named.format(name=name) + (phone.format(phone=phone_masked) if phone_masked else "")


def _number(value: Any, key: str, locale: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if key in RATES:
        return f"{value * 100:.1f}%"
    if key in MONEY:
        return CURRENCY.get(locale, CURRENCY["zh-CN"]).format(v=f"{value:,.2f}")
    return f"{value:,}" if isinstance(value, int) or float(value).is_integer() else f"{value:,.2f}"


def _counts(pairs: list[tuple[str, Any]], locale: str) -> str:
    _, sep, space = LIST_SEP.get(locale, LIST_SEP["zh-CN"])
    return sep.join(f"{word}{space}{_number(n, '', locale)}" for word, n in pairs if word and _number(n, "", locale))


def digest_lines(summary: dict[str, Any], locale: str, lost_words: dict[str, str] | None = None) -> list[str]:
    """A digest's headline numbers as lines people read (`新增客户：12`); codes become words, unknown ones are left out."""
    labels = DIGEST.get(locale, DIGEST["zh-CN"])
    colon = LIST_SEP.get(locale, LIST_SEP["zh-CN"])[0]
    lines = []
    for key, label in labels.items():
        value = summary.get(key)
        if key == "by_channel" and isinstance(value, dict):
            text = _counts([(pick(CHANNELS, locale, c), n) for c, n in value.items()], locale)
        elif key == "grade_mix" and isinstance(value, dict):
            word = GRADE.get(locale, GRADE["zh-CN"])
            text = _counts([(word.format(g=g) if g in ("O", "A", "B", "C") else "", n) for g, n in value.items()], locale)
        elif key == "top_lost_reasons" and isinstance(value, list):
            text = _counts([(_reason(r.get("reason"), lost_words), r.get("count")) for r in value if isinstance(r, dict)],
                           locale)
        else:
            text = _number(value, key, locale) or ""
        if text:
            lines.append(f"{label}{colon}{text}")
    return lines


def _reason(reason: Any, lost_words: dict[str, str] | None) -> str:
    """A lost reason's name from the branch's list; free text (older events) as written; an unknown code left out."""
    if not isinstance(reason, str):
        return ""
    if lost_words and reason in lost_words:
        return lost_words[reason]
    return "" if reason.isascii() and reason.replace("_", "").isalnum() and reason.islower() else reason
