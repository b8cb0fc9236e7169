"""Words for codes that more than one service shows people, one catalogue per language (zh-CN first, en).

A manager reads a lead's channel on the console, in the month-end report exports, in the
digest message and in the customer list export: each must say the same word, so each takes
it from here (tests/shared/test_channel_words.py fails when one of them says another).

The channel words are the ones a Chinese sales office writes on its 来电/来访 register:
`walk_in` is 自然到访 (not the bare 到访, which the reports use for every visit), `phone` 来电
(the traffic sheet's own column), `referral` 转介绍 (it covers employees, owners' 老带新 and the
public alike), `online` 线上.
"""

from __future__ import annotations

CHANNELS: dict[str, dict[str, str]] = {
    "zh-CN": {"walk_in": "自然到访", "phone": "来电", "partner": "渠道", "referral": "转介绍", "online": "线上",
              "import": "导入", "event": "活动"},
    "en": {"walk_in": "Walk-in", "phone": "Phone", "partner": "Partner", "referral": "Referral", "online": "Online",
           "import": "Import", "event": "Event"},
}
"""A lead's source channel (`crm_shared.events.leads.Channel`) -> its word."""
LEAD_STATUSES: dict[str, dict[str, str]] = {
    "zh-CN": {"new": "新客户", "contacted": "已联系", "visited": "已到访", "negotiating": "洽谈中", "won": "已成交",
              "lost": "已流失"},
    "en": {"new": "New", "contacted": "Contacted", "visited": "Visited", "negotiating": "Negotiating", "won": "Won",
           "lost": "Lost"},
}
"""A lead's status (its stage in the funnel) -> its word: 洽谈中, the sales floor's word, not 谈判中."""
CHANNELS_INLINE = {locale: {c: w.lower() for c, w in said.items()} for locale, said in CHANNELS.items()}
"""The same words inside a sentence (`recorded as "walk-in"`): English in lower case, Chinese as it is."""
