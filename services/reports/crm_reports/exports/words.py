"""What an export's headers and cells say, one catalogue per language (zh-CN first, en).

Column names and the codes inside reports (channels, stages, grades, rejection reasons,
reception classes, board metrics) become words here (the channels' are every service's, from
crm_shared.words); staff and lost reasons come from the branch's directory copy
(crm_reports.queries.read.export_names). JSON answers keep the codes.
"""

from __future__ import annotations

from crm_shared import words as shared_words

COLUMNS = {
    "zh-CN": {
        "date": "日期", "new_leads": "新增客户", "visits": "到访", "appointments": "预约", "calls": "来电",
        "walk_ins": "自然到访", "walk_in_leads": "到访登记", "appointment_arrivals": "预约到访", "returning_visits": "复访",
        "follow_ups": "跟进", "deals": "成交", "appointments_cancelled": "预约取消", "no_shows": "爽约",
        "by_channel": "新增客户按渠道", "by_consultant": "新增客户按顾问", "visits_by_consultant": "接待到访按顾问",
        "group": "分组", "name": "置业顾问", "leads": "客户数", "visited": "到访数", "won": "成交数", "lost": "流失数",
        "visit_rate": "到访率", "win_rate": "到访成交率", "conversion_rate": "转化率", "grade": "等级", "share": "占比",
        "moved_in": "升入", "moved_out": "转出", "net": "净变化", "consultant_id": "置业顾问", "overdue": "逾期次数",
        "newly_overdue": "新逾期", "max_missed": "最多漏跟", "missed": "漏跟次数", "age": "逾期天数",
        "compliance_rate": "跟进及时率", "reason": "流失原因", "count": "数量", "by_stage": "流失阶段", "partner_id": "渠道商",
        "reports": "报备", "accepted": "有效报备", "rejected": "驳回", "confirmed": "确认到访", "expired": "过期",
        "amount": "成交金额", "credit_moved": "归属变更", "accept_rate": "有效率", "deal_rate": "成交率", "rejection_reasons": "驳回原因",
        "class": "接待级别", "requested": "申请", "approved": "批准", "completed": "完成", "budget": "预算",
        "spent": "实际花费", "spend_ratio": "预算执行率", "over_budget": "超预算", "feedback_on_time": "按时反馈",
        "feedback_late": "逾期反馈", "on_time_rate": "反馈及时率", "metric": "指标", "value": "本期", "previous": "上期",
        "change": "变化",
    },
    "en": {
        "date": "Date", "new_leads": "New customers", "visits": "Visits", "appointments": "Appointments", "calls": "Calls",
        "walk_ins": "Walk-ins", "walk_in_leads": "Walk-ins registered", "appointment_arrivals": "Appointment arrivals",
        "returning_visits": "Returning visits", "follow_ups": "Follow-ups", "deals": "Deals",
        "appointments_cancelled": "Cancelled appointments", "no_shows": "No-shows", "by_channel": "New by channel",
        "by_consultant": "New by consultant", "visits_by_consultant": "Visits by consultant", "group": "Group",
        "name": "Consultant", "leads": "Customers", "visited": "Visited", "won": "Won", "lost": "Lost",
        "visit_rate": "Visit rate", "win_rate": "Win rate (of visited)", "conversion_rate": "Conversion rate",
        "grade": "Grade", "share": "Share", "moved_in": "Moved in", "moved_out": "Moved out", "net": "Net change",
        "consultant_id": "Consultant", "overdue": "Overdue", "newly_overdue": "Newly overdue", "max_missed": "Most missed",
        "missed": "Missed", "age": "Days overdue", "compliance_rate": "Compliance rate", "reason": "Lost reason",
        "count": "Count", "by_stage": "Lost at stage", "partner_id": "Partner", "reports": "Reports",
        "accepted": "Accepted", "rejected": "Rejected", "confirmed": "Confirmed visits", "expired": "Expired",
        "amount": "Deal amount", "credit_moved": "Credit moved", "accept_rate": "Accept rate", "deal_rate": "Deal rate",
        "rejection_reasons": "Rejection reasons", "class": "Reception class", "requested": "Requested",
        "approved": "Approved", "completed": "Completed", "budget": "Budget", "spent": "Spent", "spend_ratio": "Spend ratio",
        "over_budget": "Over budget", "feedback_on_time": "Feedback on time", "feedback_late": "Feedback late",
        "on_time_rate": "On-time rate", "metric": "Metric", "value": "This period", "previous": "Previous period",
        "change": "Change",
    },
}

CHANNELS = {locale: {**shared_words.CHANNELS[locale], "unassigned": nobody}
            for locale, nobody in (("zh-CN", "未分配"), ("en", "Unassigned"))}
"""The channels' words are every service's (crm_shared.words); `unassigned` is the consultant of no one's lead."""
STAGES = {locale: {**shared_words.LEAD_STATUSES[locale], "unknown": unknown}
          for locale, unknown in (("zh-CN", "未知阶段"), ("en", "Unknown stage"))}
"""A lead's stage: every service's words (crm_shared.words), and one for a stage the report does not know."""
REJECTIONS = {
    "zh-CN": {"open_lead": "已有在跟客户", "customer_known": "案场已知客户", "reported_first": "他人已先报备",
              "expired": "报备过期", "no_follow_up": "未按时跟进"},
    "en": {"open_lead": "Customer already followed", "customer_known": "Customer known to the office",
           "reported_first": "Reported first by another partner", "expired": "Report expired",
           "no_follow_up": "Not followed up in time"},
}
METRICS = {
    "zh-CN": {"deal_amount": "成交金额", "partner_reports": "渠道报备", "partner_deals": "渠道成交",
              "receptions_completed": "完成接待", "reception_budget": "接待预算", "reception_spent": "接待花费"},
    "en": {"deal_amount": "Deal amount", "partner_reports": "Partner reports", "partner_deals": "Partner deals",
           "receptions_completed": "Receptions completed", "reception_budget": "Reception budget",
           "reception_spent": "Reception spend"},
}
MISSED = {"zh-CN": {"1": "1次", "2": "2次", "3+": "3次及以上"}, "en": {"1": "once", "2": "twice", "3+": "3 times or more"}}
AGES = {"zh-CN": {"0-1": "0-1天", "2-3": "2-3天", "4-7": "4-7天", "8-14": "8-14天", "15+": "15天以上"},
        "en": {"0-1": "0-1 days", "2-3": "2-3 days", "4-7": "4-7 days", "8-14": "8-14 days", "15+": "15 days or more"}}
TITLES = {
    "zh-CN": {"daily-traffic": "客流量统计", "funnel": "客户转化漏斗", "grades": "客户等级分布", "follow-up-compliance": "跟进及时率",
              "lost-reasons": "流失原因分析", "partners": "渠道效果分析", "receptions": "商务接待费用",
              "board-weekly": "周看板", "board-monthly": "月看板"},
    "en": {"daily-traffic": "Daily traffic", "funnel": "Funnel", "grades": "Grades", "follow-up-compliance": "Follow-up compliance",
           "lost-reasons": "Lost reasons", "partners": "Partners", "receptions": "Receptions",
           "board-weekly": "Weekly board", "board-monthly": "Monthly board"},
}
GRADE = {"zh-CN": "{g}级", "en": "{g}"}
CLASS = {"zh-CN": "{c}类", "en": "Class {c}"}
UNKNOWN_STAFF = {"zh-CN": "未知顾问", "en": "Unknown consultant"}
SEPARATOR = {"zh-CN": "：", "en": ": "}


def word(table: dict[str, dict[str, str]], locale: str, code: str) -> str:
    """The word for a code in a language; a code the catalogue does not know is shown as it is."""
    return table.get(locale, table["zh-CN"]).get(code, code)


def column(name: str, locale: str) -> str:
    return word(COLUMNS, locale, name)


def _merge_more() -> None:
    """The deals and customers reports' headers and titles (exports.sales_words); a word defined above wins."""
    from crm_reports.exports import sales_words

    for table, more in ((COLUMNS, sales_words.COLUMNS), (TITLES, sales_words.TITLES)):
        for locale, words in more.items():
            table[locale] = {**words, **table[locale]}


_merge_more()
