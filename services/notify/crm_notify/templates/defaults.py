"""Built-in templates for every trigger (zh-CN first, then en), and the variables each trigger supplies.

Every template names people (customer, consultant, host, manager) and shows words from
`templates/words.py`, never an id or an enum code; each staff notice has both an SMS and an
email text, because a member of staff is reached by whichever contact they have.
`VARIABLES` is realistic data of each trigger: templates are checked against it at PUT.
"""

from __future__ import annotations

_APPT = {"customer_name": "王先生", "start_local": "2026年12月1日 14:00", "kind": "showing", "kind_label": "看房",
         "branch_name": "深圳湾售楼处", "consultant_name": "李娜", "consultant_phone": "+8613800000000",
         "checklist": ["每位访客佩戴安全帽（共2顶）", "儿童与老人在售楼处等候，不进入工地"], "party_size": 2}
_CUSTOMER = {"customer_name": "王先生", "customer_phone_masked": "138****5678", "customer": "客户王先生（138****5678）"}
_LEAD = {"staff_name": "李娜", "recipient_name": "李娜", "lead_id": "0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b",
         "reason": "manual", "reason_label": "经理分配", "branch_name": "深圳湾售楼处", **_CUSTOMER}
_RECEPTION = {"recipient_name": "李娜", "host_name": "李娜", "reception_id": "0193a2b4-0000-7000-8000-000000000001",
              "reception_class": "A", "purpose": "集团领导视察", "arrive_local": "2026年12月1日 09:00", "guests": 3,
              "branch_name": "深圳湾售楼处"}

_COMPLAINT = {"recipient_name": "张经理", "manager_name": "张经理", "number": "2611-001", "customer_name": "王先生",
              "category": "quality", "category_label": "质量", "severity_label": "重大", "summary": "客厅墙面渗水",
              "due_local": "2026年11月4日 18:00", "report_due_local": "2026年11月4日 18:00", "branch_name": "深圳湾售楼处"}
_SALE = {"recipient_name": "张经理", "customer_name": "王先生", "consultant_name": "李娜", "branch_name": "深圳湾售楼处",
         "unit_label": "湾区壹号 3栋 1201"}

VARIABLES: dict[str, dict] = {
    "appointment_confirmation": _APPT,
    "appointment_reminder": _APPT | {"lead_time": "明天"},
    "appointment_rescheduled": _APPT | {"previous_start_local": "2026年11月30日 10:00"},
    "appointment_cancelled": _APPT,
    "lead_assigned": _LEAD,
    "follow_up_overdue": _LEAD | {"due_local": "2026年11月30日 10:00", "missed_count": 1, "reason": ""},
    "follow_up_escalation": _LEAD | {"manager_name": "张经理", "due_local": "2026年11月30日 10:00", "missed_count": 2,
                                     "reason": ""},
    "reclaim_warning": _LEAD | {"reclaim_local": "2026年12月3日 10:00", "reclaim_after_days": 15},
    "reception_approved": _RECEPTION,
    "feedback_overdue": _RECEPTION | {"due_local": "2026年12月3日 09:00"},
    "dispute_overdue": {"recipient_name": "张经理", "manager_name": "张经理", "branch_name": "深圳湾售楼处",
                        "dispute_id": "0193a2b4-0000-7000-8000-000000000002", "claim": "客户由我司经纪人首次带看",
                        "deadline_local": "2026年12月2日 18:00", **_CUSTOMER},
    "daily_digest": {"manager_name": "张经理", "date": "2026-11-30", "date_local": "2026年11月30日",
                     "branch_name": "深圳湾售楼处", "summary": {"new_leads": 12, "visits": 8},
                     "lines": ["新增客户：12", "到访：8", "新增来源：自然到访 5、来电 3", "成交金额：1,500,000.00元"]},
    "import_finished": {"recipient_name": "张经理", "branch_name": "深圳湾售楼处", "file_name": "客户登记表.xlsx",
                        "total": 1000, "created": 960, "duplicates": 30, "invalid": 10, "warnings": 4, "failed": False},
    "birthday_greeting": {"customer_name": "王先生", "branch_name": "深圳湾售楼处", "unsubscribe_url": "https://x/u"},
    "holiday_greeting": {"customer_name": "王先生", "holiday": "春节", "branch_name": "深圳湾售楼处",
                         "unsubscribe_url": "https://x/u"},
    "important_date_greeting": {"customer_name": "王先生", "occasion_name": "结婚纪念日", "branch_name": "深圳湾售楼处",
                                "unsubscribe_url": "https://x/u"},
    "complaint_received": _COMPLAINT,
    "complaint_major": _COMPLAINT,
    "complaint_overdue": _COMPLAINT | {"deadline": "report", "deadline_label": "调查报告", "assignee_name": "李娜"},
    "complaint_assigned": _COMPLAINT | {"recipient_name": "李娜"},
    "greeting_gift": {"recipient_name": "李娜", "customer_name": "王先生", "occasion_name": "生日", "day_label": "今天",
                      "on_local": "2026年12月8日", "branch_name": "深圳湾售楼处"},
    "revisit_due": {"recipient_name": "李娜", "customer_name": "王先生", "kind_label": "签约后7天回访",
                    "due_local": "2026年12月8日", "branch_name": "深圳湾售楼处"},
    "price_approval_pending": _SALE | {"agreed_price_text": "2,890,000.00元", "list_price_text": "3,000,000.00元",
                                       "discount_text": "3.67%"},
    "payout_due": {"recipient_name": "钱会计", "beneficiary_name": "链家深圳湾店", "kind_label": "渠道佣金",
                   "amount_text": "89,400.00元", "reward_form_label": "", "branch_name": "深圳湾售楼处",
                   "customer_name": "王先生"},
}

_CHECKLIST_ZH = "{% if kind == 'showing' and checklist %}工地参观须知：{{ checklist | join('；') }}。{% endif %}"
_CHECKLIST_EN = "{% if kind == 'showing' and checklist %} Site visit: {{ checklist | join('; ') }}.{% endif %}"
_WITH_ZH = "{% if consultant_name %}，置业顾问{{ consultant_name }}{% endif %}"
_WITH_EN = "{% if consultant_name %} with {{ consultant_name }}{% endif %}"
_WHY_ZH = "{% if reason_label %}（{{ reason_label }}）{% endif %}"
_WHY_EN = "{% if reason_label %} ({{ reason_label }}){% endif %}"
_PURPOSE_ZH = "{% if purpose %}（{{ purpose }}）{% endif %}"
_PURPOSE_EN = "{% if purpose %} ({{ purpose }}){% endif %}"

# (key, channel, locale) -> (subject, body); for each key Chinese first
DEFAULTS: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("appointment_confirmation", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您已预约{{ start_local }}到{{ branch_name }}{{ kind_label }}" + _WITH_ZH + "。" + _CHECKLIST_ZH),
    ("appointment_confirmation", "email", "zh-CN"): ("预约确认：{{ start_local }} {{ kind_label }}",
        "{{ customer_name }}您好：\n\n您已预约{{ start_local }}到{{ branch_name }}{{ kind_label }}" + _WITH_ZH
        + "，人数{{ party_size }}人。\n" + _CHECKLIST_ZH),
    ("appointment_confirmation", "sms", "en"): (None,
        "Dear {{ customer_name }}, your {{ kind_label }} at {{ branch_name }} is booked for {{ start_local }}" + _WITH_EN
        + "." + _CHECKLIST_EN),
    ("appointment_confirmation", "email", "en"): ("Appointment confirmed: {{ start_local }}",
        "Dear {{ customer_name }},\n\nyour {{ kind_label }} at {{ branch_name }} is booked for {{ start_local }}" + _WITH_EN
        + ", {{ party_size }} people." + _CHECKLIST_EN),
    ("appointment_reminder", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，提醒您{{ lead_time }}（{{ start_local }}）到{{ branch_name }}{{ kind_label }}"
        "{% if consultant_name %}，置业顾问{{ consultant_name }}恭候{% endif %}。" + _CHECKLIST_ZH),
    ("appointment_reminder", "email", "zh-CN"): ("预约提醒：{{ start_local }} {{ kind_label }}",
        "{{ customer_name }}您好：\n\n提醒您{{ lead_time }}（{{ start_local }}）到{{ branch_name }}{{ kind_label }}" + _WITH_ZH
        + "。\n" + _CHECKLIST_ZH),
    ("appointment_reminder", "sms", "en"): (None,
        "Reminder: your {{ kind_label }} at {{ branch_name }} is {{ lead_time }} ({{ start_local }})." + _CHECKLIST_EN),
    ("appointment_reminder", "email", "en"): ("Reminder: {{ kind_label }} on {{ start_local }}",
        "Dear {{ customer_name }},\n\nyour {{ kind_label }} at {{ branch_name }} is {{ lead_time }} ({{ start_local }})"
        + _WITH_EN + "." + _CHECKLIST_EN),
    ("appointment_rescheduled", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您的预约已改至{{ start_local }}，地点{{ branch_name }}" + _WITH_ZH + "。"),
    ("appointment_rescheduled", "email", "zh-CN"): ("预约改期：{{ start_local }} {{ kind_label }}",
        "{{ customer_name }}您好：\n\n您的{{ kind_label }}预约已改至{{ start_local }}，地点{{ branch_name }}" + _WITH_ZH + "。\n"
        + _CHECKLIST_ZH),
    ("appointment_rescheduled", "sms", "en"): (None, "Your {{ kind_label }} at {{ branch_name }} moved to {{ start_local }}."),
    ("appointment_rescheduled", "email", "en"): ("Appointment moved: {{ start_local }}",
        "Dear {{ customer_name }},\n\nyour {{ kind_label }} at {{ branch_name }} moved to {{ start_local }}" + _WITH_EN + "."),
    ("appointment_cancelled", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您{{ start_local }}在{{ branch_name }}的预约已取消"
        "{% if consultant_name %}，如需重新预约请联系置业顾问{{ consultant_name }}{% endif %}。"),
    ("appointment_cancelled", "email", "zh-CN"): ("预约已取消：{{ start_local }}",
        "{{ customer_name }}您好：\n\n您{{ start_local }}在{{ branch_name }}的{{ kind_label }}预约已取消"
        "{% if consultant_name %}，如需重新预约请联系置业顾问{{ consultant_name }}{% endif %}。"),
    ("appointment_cancelled", "sms", "en"): (None, "Your {{ kind_label }} at {{ branch_name }} on {{ start_local }} is cancelled."),
    ("appointment_cancelled", "email", "en"): ("Appointment cancelled: {{ start_local }}",
        "Dear {{ customer_name }},\n\nyour {{ kind_label }} at {{ branch_name }} on {{ start_local }} is cancelled."),

    ("lead_assigned", "sms", "zh-CN"): (None, "{{ staff_name }}，{{ customer }}已分配给您" + _WHY_ZH + "，请及时跟进。"),
    ("lead_assigned", "email", "zh-CN"): ("新客户分配：{{ customer }}",
        "{{ staff_name }}：\n\n{{ customer }}已分配给您" + _WHY_ZH + "，请及时联系并记录跟进。"),
    ("lead_assigned", "sms", "en"): (None, "{{ staff_name }}, {{ customer }} is now yours" + _WHY_EN + ". Please follow up soon."),
    ("lead_assigned", "email", "en"): ("New customer for you: {{ customer }}",
        "{{ staff_name }},\n\n{{ customer }} is now yours" + _WHY_EN + ". Please get in touch and log the follow-up."),
    ("follow_up_overdue", "sms", "zh-CN"): (None,
        "{{ staff_name }}，{{ customer }}应于{{ due_local }}跟进，已逾期{{ missed_count }}次，请尽快跟进。"),
    ("follow_up_overdue", "email", "zh-CN"): ("跟进逾期：{{ customer }}",
        "{{ staff_name }}：\n\n{{ customer }}应于{{ due_local }}跟进，已逾期{{ missed_count }}次，请尽快跟进并记录。"),
    ("follow_up_overdue", "sms", "en"): (None,
        "{{ staff_name }}, the follow-up of {{ customer }} was due {{ due_local }} ({{ missed_count }} missed)."),
    ("follow_up_overdue", "email", "en"): ("Follow-up overdue: {{ customer }}",
        "{{ staff_name }},\n\nthe follow-up of {{ customer }} was due {{ due_local }} ({{ missed_count }} missed). Please follow up soon."),
    ("follow_up_escalation", "email", "zh-CN"): ("跟进逾期升级：{{ staff_name }} / {{ customer }}",
        "{{ manager_name }}：\n\n置业顾问{{ staff_name }}的{{ customer }}应于{{ due_local }}跟进，已连续逾期{{ missed_count }}次，请关注。"),
    ("follow_up_escalation", "sms", "zh-CN"): (None,
        "{{ manager_name }}，置业顾问{{ staff_name }}的{{ customer }}已逾期{{ missed_count }}次未跟进，请关注。"),
    ("follow_up_escalation", "email", "en"): ("Escalation: {{ customer }} ({{ staff_name }})",
        "{{ manager_name }},\n\n{{ staff_name }} has missed {{ missed_count }} follow-ups of {{ customer }} (due {{ due_local }})."),
    ("follow_up_escalation", "sms", "en"): (None,
        "{{ manager_name }}, {{ staff_name }} has missed {{ missed_count }} follow-ups of {{ customer }}."),
    ("reclaim_warning", "sms", "zh-CN"): (None,
        "{{ staff_name }}，{{ customer }}将于{{ reclaim_local }}收回公海，请尽快跟进。"),
    ("reclaim_warning", "email", "zh-CN"): ("即将收回公海：{{ customer }}",
        "{{ staff_name }}：\n\n{{ customer }}长时间未跟进，将于{{ reclaim_local }}收回公海（{{ reclaim_after_days }}天未跟进即收回）。"
        "在此之前跟进并记录，客户即可保留。"),
    ("reclaim_warning", "sms", "en"): (None,
        "{{ staff_name }}, {{ customer }} goes to the public pool on {{ reclaim_local }}. Please follow up before then."),
    ("reclaim_warning", "email", "en"): ("Going to the pool soon: {{ customer }}",
        "{{ staff_name }},\n\n{{ customer }} has not been followed up and goes to the public pool on {{ reclaim_local }} "
        "(after {{ reclaim_after_days }} days without a follow-up). A follow-up logged before then keeps the customer yours."),

    ("reception_approved", "email", "zh-CN"): ("接待申请已批准：{{ reception_class }}类 {{ arrive_local }}",
        "{{ recipient_name }}：\n\n{{ reception_class }}类接待" + _PURPOSE_ZH + "已批准，接待人{{ host_name }}，来访时间{{ arrive_local }}，"
        "来宾{{ guests }}人。请按接待标准做好准备，并在接待后按时提交接待信息反馈表。"),
    ("reception_approved", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，{{ reception_class }}类接待" + _PURPOSE_ZH + "已批准，来访时间{{ arrive_local }}，来宾{{ guests }}人。"),
    ("reception_approved", "email", "en"): ("Reception approved: class {{ reception_class }}, {{ arrive_local }}",
        "{{ recipient_name }},\n\nthe class {{ reception_class }} reception" + _PURPOSE_EN + " hosted by {{ host_name }} is approved "
        "for {{ arrive_local }}, {{ guests }} guests."),
    ("reception_approved", "sms", "en"): (None,
        "{{ recipient_name }}, the class {{ reception_class }} reception" + _PURPOSE_EN + " on {{ arrive_local }} is approved."),
    ("feedback_overdue", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，您{{ arrive_local }}的{{ reception_class }}类接待" + _PURPOSE_ZH + "反馈已逾期"
        "{% if due_local %}（应于{{ due_local }}前提交）{% endif %}，请尽快提交接待信息反馈表。"),
    ("feedback_overdue", "email", "zh-CN"): ("接待反馈逾期：{{ reception_class }}类接待 {{ arrive_local }}",
        "{{ recipient_name }}：\n\n您{{ arrive_local }}的{{ reception_class }}类接待" + _PURPOSE_ZH + "反馈已逾期"
        "{% if due_local %}（应于{{ due_local }}前提交）{% endif %}。请尽快提交接待信息反馈表（实际花费、接待小结、后续跟进）。"),
    ("feedback_overdue", "sms", "en"): (None,
        "{{ recipient_name }}, the feedback on your class {{ reception_class }} reception of {{ arrive_local }} is overdue."),
    ("feedback_overdue", "email", "en"): ("Reception feedback overdue: {{ arrive_local }}",
        "{{ recipient_name }},\n\nthe feedback on your class {{ reception_class }} reception" + _PURPOSE_EN
        + " of {{ arrive_local }} is overdue{% if due_local %} (due {{ due_local }}){% endif %}. Please file it soon."),
    ("dispute_overdue", "email", "zh-CN"): ("渠道归属争议逾期未裁决：{{ customer }}",
        "{{ manager_name }}：\n\n{{ customer }}的渠道归属争议{% if deadline_local %}应于{{ deadline_local }}前裁决，{% endif %}"
        "现已逾期，请尽快裁决。\n\n{% if claim %}争议理由：{{ claim }}{% endif %}"),
    ("dispute_overdue", "sms", "zh-CN"): (None,
        "{{ manager_name }}，{{ customer }}的渠道归属争议已逾期未裁决，请尽快裁决。"),
    ("dispute_overdue", "email", "en"): ("Attribution dispute overdue: {{ customer }}",
        "{{ manager_name }},\n\nthe attribution dispute over {{ customer }} is past its deadline"
        "{% if deadline_local %} ({{ deadline_local }}){% endif %}. Please decide it.\n\n{% if claim %}Claim: {{ claim }}{% endif %}"),
    ("dispute_overdue", "sms", "en"): (None,
        "{{ manager_name }}, the attribution dispute over {{ customer }} is overdue. Please decide it."),
    ("daily_digest", "email", "zh-CN"): ("{{ branch_name }}日报 {{ date_local }}",
        "{{ manager_name }}：\n\n{{ branch_name }}{{ date_local }}日报：\n{% for line in lines %}- {{ line }}\n{% endfor %}"),
    ("daily_digest", "email", "en"): ("{{ branch_name }} daily digest {{ date }}",
        "{{ manager_name }},\n\n{% for line in lines %}- {{ line }}\n{% endfor %}"),
    ("import_finished", "email", "zh-CN"): ("客户导入{% if failed %}中断{% else %}完成{% endif %}：{{ file_name or '客户表格' }}",
        "{{ recipient_name }}：\n\n{{ file_name or '客户表格' }}{% if failed %}导入因多次出错而中断，未处理的行没有导入{% else %}已导入完成{% endif %}："
        "共{{ total }}行，新增客户{{ created }}位，重复{{ duplicates }}行，无效{{ invalid }}行"
        "{% if warnings %}，另有{{ warnings }}行部分信息未导入{% endif %}。"
        "{% if invalid or duplicates or warnings %}逐行结果可在导入页面下载。{% endif %}"),
    ("import_finished", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，{{ file_name or '客户表格' }}导入{% if failed %}中断{% else %}完成{% endif %}：新增客户{{ created }}位，"
        "重复{{ duplicates }}行，无效{{ invalid }}行。"),
    ("import_finished", "email", "en"): ("Import {% if failed %}stopped{% else %}finished{% endif %}: {{ file_name or 'the sheet' }}",
        "{{ recipient_name }},\n\n{{ file_name or 'the sheet' }} {% if failed %}stopped after repeated errors; rows not reached were not "
        "imported{% else %}is imported{% endif %}: {{ total }} rows, {{ created }} new customers, {{ duplicates }} duplicates, "
        "{{ invalid }} invalid{% if warnings %}, {{ warnings }} imported without some values{% endif %}."
        "{% if invalid or duplicates or warnings %} The per-row result can be downloaded on the import screen.{% endif %}"),
    ("import_finished", "sms", "en"): (None,
        "{{ recipient_name }}, {{ file_name or 'the sheet' }} {% if failed %}stopped{% else %}is imported{% endif %}: {{ created }} new, "
        "{{ duplicates }} duplicates, {{ invalid }} invalid."),

    ("birthday_greeting", "sms", "zh-CN"): (None, "{{ customer_name or '尊敬的客户' }}，{{ branch_name }}祝您生日快乐，幸福安康！"),
    ("birthday_greeting", "email", "zh-CN"): ("生日快乐，{{ customer_name or '尊敬的客户' }}",
        "{{ customer_name or '尊敬的客户' }}：\n\n{{ branch_name }}全体同事祝您生日快乐，幸福安康！"),
    ("birthday_greeting", "sms", "en"): (None, "Happy birthday{% if customer_name %}, {{ customer_name }}{% endif %}! Best wishes from {{ branch_name }}."),
    ("birthday_greeting", "email", "en"): ("Happy birthday{% if customer_name %}, {{ customer_name }}{% endif %}",
        "Dear {{ customer_name or 'customer' }},\n\neveryone at {{ branch_name }} wishes you a happy birthday!"),
    ("holiday_greeting", "sms", "zh-CN"): (None, "{{ customer_name or '尊敬的客户' }}，{{ branch_name }}祝您{{ holiday }}快乐，阖家幸福！"),
    ("holiday_greeting", "email", "zh-CN"): ("{{ holiday }}快乐",
        "{{ customer_name or '尊敬的客户' }}：\n\n{{ branch_name }}祝您{{ holiday }}快乐，阖家幸福！"),
    ("holiday_greeting", "sms", "en"): (None, "Happy {{ holiday }}{% if customer_name %}, {{ customer_name }}{% endif %}! From {{ branch_name }}."),
    ("important_date_greeting", "sms", "zh-CN"): (None,
        "{{ customer_name or '尊敬的客户' }}，今天是您的{{ occasion_name }}，{{ branch_name }}祝您幸福美满，万事如意！"),
    ("important_date_greeting", "email", "zh-CN"): ("{{ occasion_name }}快乐",
        "{{ customer_name or '尊敬的客户' }}：\n\n今天是您的{{ occasion_name }}，{{ branch_name }}全体同事祝您幸福美满，万事如意！"),
    ("important_date_greeting", "sms", "en"): (None,
        "Best wishes on your {{ occasion_name }}{% if customer_name %}, {{ customer_name }}{% endif %}! From {{ branch_name }}."),
    ("important_date_greeting", "email", "en"): ("Best wishes on your {{ occasion_name }}",
        "Dear {{ customer_name or 'customer' }},\n\neveryone at {{ branch_name }} sends you best wishes on your {{ occasion_name }}!"),

    ("complaint_received", "sms", "zh-CN"): (None,
        "{{ customer_name or '尊敬的客户' }}您好，您的投诉已受理，编号{{ number }}"
        "{% if due_local %}，我们将于{{ due_local }}前处理并答复{% endif %}。查询进度请提供此编号。"),
    ("complaint_received", "email", "zh-CN"): ("投诉已受理：编号{{ number }}",
        "{{ customer_name or '尊敬的客户' }}您好：\n\n{{ branch_name }}已受理您的投诉，编号{{ number }}"
        "{% if due_local %}，我们将于{{ due_local }}前处理并答复{% endif %}。查询进度请提供此编号。"),
    ("complaint_received", "sms", "en"): (None,
        "Your complaint is registered as no. {{ number }}{% if due_local %}; we will reply by {{ due_local }}{% endif %}. "
        "Please quote this number."),
    ("complaint_received", "email", "en"): ("Complaint no. {{ number }} received",
        "Dear {{ customer_name or 'customer' }},\n\n{{ branch_name }} has registered your complaint as no. {{ number }}"
        "{% if due_local %}; we will reply by {{ due_local }}{% endif %}. Please quote this number."),
    ("complaint_major", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，收到重大投诉{{ number }}：客户{{ customer_name or '（未留姓名）' }}，{{ category_label }}问题"
        "{% if summary %}（{{ summary }}）{% endif %}，请立即安排处理。"),
    ("complaint_major", "email", "zh-CN"): ("重大投诉{{ number }}：{{ category_label }}",
        "{{ recipient_name }}：\n\n{{ branch_name }}收到重大投诉，编号{{ number }}，客户{{ customer_name or '（未留姓名）' }}，"
        "类别{{ category_label }}。{% if summary %}\n\n投诉内容：{{ summary }}{% endif %}\n\n"
        "{% if report_due_local %}调查报告应于{{ report_due_local }}前提交，{% endif %}"
        "{% if due_local %}处理期限{{ due_local }}。{% endif %}请立即安排处理。"),
    ("complaint_major", "sms", "en"): (None,
        "{{ recipient_name }}, major complaint no. {{ number }} ({{ category_label }}) from {{ customer_name or 'a customer' }}. "
        "Please act now."),
    ("complaint_major", "email", "en"): ("Major complaint no. {{ number }}: {{ category_label }}",
        "{{ recipient_name }},\n\n{{ branch_name }} received major complaint no. {{ number }} ({{ category_label }}) from "
        "{{ customer_name or 'a customer' }}.{% if summary %}\n\n{{ summary }}{% endif %}"
        "{% if due_local %}\n\nTo be handled by {{ due_local }}.{% endif %}"),
    ("complaint_overdue", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，投诉{{ number }}的{{ deadline_label }}已逾期{% if due_local %}（期限{{ due_local }}）{% endif %}"
        "{% if assignee_name %}，处理人{{ assignee_name }}{% endif %}，请督办。"),
    ("complaint_overdue", "email", "zh-CN"): ("投诉逾期升级：{{ number }} {{ deadline_label }}",
        "{{ recipient_name }}：\n\n客户{{ customer_name or '（未留姓名）' }}的{{ category_label }}投诉（编号{{ number }}）"
        "{{ deadline_label }}已逾期{% if due_local %}，期限为{{ due_local }}{% endif %}"
        "{% if assignee_name %}，处理人{{ assignee_name }}{% endif %}。请督办并跟进处理结果。"),
    ("complaint_overdue", "sms", "en"): (None,
        "{{ recipient_name }}, complaint no. {{ number }}: the {{ deadline_label }} deadline{% if due_local %} ({{ due_local }}){% endif %} "
        "was missed. Please follow it up."),
    ("complaint_overdue", "email", "en"): ("Complaint no. {{ number }} overdue: {{ deadline_label }}",
        "{{ recipient_name }},\n\nthe {{ deadline_label }} deadline of complaint no. {{ number }} ({{ category_label }})"
        "{% if due_local %}, {{ due_local }},{% endif %} was missed{% if assignee_name %}; it is with {{ assignee_name }}{% endif %}."),
    ("complaint_assigned", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，投诉{{ number }}（{{ severity_label }}，{{ category_label }}）已交由您处理"
        "{% if report_due_local %}，调查报告请于{{ report_due_local }}前提交{% endif %}。"),
    ("complaint_assigned", "email", "zh-CN"): ("投诉交办：{{ number }}",
        "{{ recipient_name }}：\n\n客户{{ customer_name or '（未留姓名）' }}的{{ category_label }}投诉（编号{{ number }}，"
        "{{ severity_label }}）已交由您处理。{% if summary %}\n\n投诉内容：{{ summary }}{% endif %}\n\n"
        "{% if report_due_local %}调查报告请于{{ report_due_local }}前提交，{% endif %}"
        "{% if due_local %}处理期限{{ due_local }}。{% endif %}"),
    ("complaint_assigned", "sms", "en"): (None,
        "{{ recipient_name }}, complaint no. {{ number }} ({{ category_label }}) is yours"
        "{% if report_due_local %}; report due {{ report_due_local }}{% endif %}."),
    ("complaint_assigned", "email", "en"): ("Complaint no. {{ number }} assigned to you",
        "{{ recipient_name }},\n\ncomplaint no. {{ number }} ({{ severity_label }}, {{ category_label }}) from "
        "{{ customer_name or 'a customer' }} is yours.{% if report_due_local %} Investigation report due {{ report_due_local }}."
        "{% endif %}{% if due_local %} To be handled by {{ due_local }}.{% endif %}"),
    ("greeting_gift", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，{{ day_label }}是客户{{ customer_name or '（未留姓名）' }}的{{ occasion_name }}，请准备一份小礼物。"),
    ("greeting_gift", "email", "zh-CN"): ("客户{{ occasion_name }}：{{ customer_name or '客户' }}，请准备小礼物",
        "{{ recipient_name }}：\n\n{{ day_label }}（{{ on_local }}）是您的客户{{ customer_name or '（未留姓名）' }}的"
        "{{ occasion_name }}，请代表{{ branch_name }}准备一份小礼物并送上祝福。"),
    ("greeting_gift", "sms", "en"): (None,
        "{{ recipient_name }}, {{ customer_name or 'your customer' }}'s birthday is on {{ on_local }}: please prepare a small gift."),
    ("greeting_gift", "email", "en"): ("A small gift for {{ customer_name or 'your customer' }}",
        "{{ recipient_name }},\n\n{{ customer_name or 'your customer' }}'s birthday is on {{ on_local }}. Please prepare "
        "a small gift and wishes from {{ branch_name }}."),
    ("revisit_due", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，请于{{ due_local }}前完成客户{{ customer_name or '（未留姓名）' }}的{{ kind_label or '回访' }}并记录。"),
    ("revisit_due", "email", "zh-CN"): ("回访提醒：{{ customer_name or '客户' }} {{ kind_label or '回访' }}",
        "{{ recipient_name }}：\n\n客户{{ customer_name or '（未留姓名）' }}的{{ kind_label or '回访' }}应于{{ due_local }}前完成，"
        "回访后请记录回访方式、内容和客户满意度。"),
    ("revisit_due", "sms", "en"): (None,
        "{{ recipient_name }}, please call {{ customer_name or 'the customer' }} ({{ kind_label or 'revisit' }}) by {{ due_local }}."),
    ("revisit_due", "email", "en"): ("Revisit due: {{ customer_name or 'a customer' }}",
        "{{ recipient_name }},\n\nthe {{ kind_label or 'revisit' }} of {{ customer_name or 'the customer' }} is due by "
        "{{ due_local }}. Please log it with the customer's satisfaction."),
    ("price_approval_pending", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，价格核定待审批：置业顾问{{ consultant_name or '（未指定）' }}的客户{{ customer_name or '（未留姓名）' }}"
        "{% if unit_label %}认购{{ unit_label }}{% endif %}，成交价{{ agreed_price_text }}"
        "{% if list_price_text %}，标价{{ list_price_text }}{% endif %}{% if discount_text %}，优惠{{ discount_text }}{% endif %}。"),
    ("price_approval_pending", "email", "zh-CN"): ("价格核定待审批：{{ customer_name or '客户' }} {{ agreed_price_text }}",
        "{{ recipient_name }}：\n\n置业顾问{{ consultant_name or '（未指定）' }}的客户{{ customer_name or '（未留姓名）' }}"
        "{% if unit_label %}认购{{ unit_label }}{% endif %}，成交价{{ agreed_price_text }}"
        "{% if list_price_text %}，低于标价{{ list_price_text }}{% endif %}{% if discount_text %}（优惠{{ discount_text }}）{% endif %}，"
        "超出可自主优惠的幅度，需经理核定后方可签约。"),
    ("price_approval_pending", "sms", "en"): (None,
        "{{ recipient_name }}, price approval needed: {{ customer_name or 'a customer' }} of {{ consultant_name or 'a consultant' }} "
        "at {{ agreed_price_text }}{% if list_price_text %} (list {{ list_price_text }}){% endif %}."),
    ("price_approval_pending", "email", "en"): ("Price approval needed: {{ customer_name or 'a customer' }}",
        "{{ recipient_name }},\n\n{{ consultant_name or 'a consultant' }}'s customer {{ customer_name or '' }}"
        "{% if unit_label %} subscribed {{ unit_label }}{% endif %} at {{ agreed_price_text }}"
        "{% if list_price_text %}, below the list price of {{ list_price_text }}{% endif %}. It needs your approval before signing."),
    ("payout_due", "sms", "zh-CN"): (None,
        "{{ recipient_name }}，{{ beneficiary_name }}的{{ kind_label }}{{ amount_text }}"
        "{% if reward_form_label %}（{{ reward_form_label }}）{% endif %}已到期待审批发放"
        "{% if customer_name %}（客户{{ customer_name }}房款已到账）{% endif %}。"),
    ("payout_due", "email", "zh-CN"): ("{{ kind_label }}待审批发放：{{ beneficiary_name }} {{ amount_text }}",
        "{{ recipient_name }}：\n\n{% if customer_name %}客户{{ customer_name }}的房款已到账，{% endif %}"
        "{{ beneficiary_name }}的{{ kind_label }}{{ amount_text }}{% if reward_form_label %}（{{ reward_form_label }}）{% endif %}"
        "已到期，请经理审批后由财务发放并登记付款凭证。"),
    ("payout_due", "sms", "en"): (None,
        "{{ recipient_name }}, the {{ kind_label }} of {{ amount_text }} to {{ beneficiary_name }} is due for approval and payment."),
    ("payout_due", "email", "en"): ("{{ kind_label }} due: {{ beneficiary_name }} {{ amount_text }}",
        "{{ recipient_name }},\n\nthe {{ kind_label }} of {{ amount_text }}{% if reward_form_label %} ({{ reward_form_label }}){% endif %}"
        " to {{ beneficiary_name }} is due: a manager approves it, then finance pays it and records the reference."),
    ("holiday_greeting", "email", "en"): ("Happy {{ holiday }}",
        "Dear {{ customer_name or 'customer' }},\n\neveryone at {{ branch_name }} wishes you a happy {{ holiday }}!"),
}
