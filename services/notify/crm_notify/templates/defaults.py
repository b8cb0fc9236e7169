"""Built-in templates for every trigger (zh-CN first, en), and the variables each trigger supplies."""

from __future__ import annotations

_APPT = {"customer_name": "王先生", "start_local": "2026年12月1日 14:00", "kind": "showing", "kind_label": "看房",
         "branch_name": "深圳湾售楼处", "consultant_name": "李娜", "consultant_phone": "+8613800000000",
         "checklist": ["每位访客佩戴安全帽"], "party_size": 2}
_STAFF = {"staff_name": "李娜", "lead_id": "l1", "reason": "manual", "branch_name": "深圳湾售楼处"}

VARIABLES: dict[str, dict] = {
    "appointment_confirmation": _APPT,
    "appointment_reminder": _APPT | {"lead_time": "明天"},
    "appointment_rescheduled": _APPT | {"previous_start_local": "2026年11月30日 10:00"},
    "appointment_cancelled": _APPT,
    "lead_assigned": _STAFF,
    "follow_up_overdue": _STAFF | {"due_local": "2026年11月30日 10:00", "missed_count": 1},
    "follow_up_escalation": _STAFF | {"manager_name": "张经理", "due_local": "2026年11月30日 10:00", "missed_count": 2},
    "reception_approved": {"recipient_name": "李娜", "reception_id": "r1", "reception_class": "A",
                           "arrive_local": "2026年12月1日 09:00", "guests": 3, "branch_name": "深圳湾售楼处"},
    "daily_digest": {"manager_name": "张经理", "date": "2026-11-30", "branch_name": "深圳湾售楼处",
                     "summary": {"new_leads": 12, "visits": 8}},
    "birthday_greeting": {"customer_name": "王先生", "branch_name": "深圳湾售楼处", "unsubscribe_url": "https://x/u"},
    "holiday_greeting": {"customer_name": "王先生", "holiday": "春节", "branch_name": "深圳湾售楼处",
                         "unsubscribe_url": "https://x/u"},
}

_CHECKLIST_ZH = "{% if kind == 'showing' and checklist %}工地参观须知：{{ checklist | join('；') }}。{% endif %}"
_CHECKLIST_EN = "{% if kind == 'showing' and checklist %} Site visit: {{ checklist | join('; ') }}.{% endif %}"

# (key, channel, locale) -> (subject, body)
DEFAULTS: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("appointment_confirmation", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您已预约{{ start_local }}到{{ branch_name }}{{ kind_label }}，置业顾问{{ consultant_name }}。" + _CHECKLIST_ZH),
    ("appointment_confirmation", "email", "zh-CN"): ("预约确认：{{ start_local }} {{ kind_label }}",
        "{{ customer_name }}您好：\n\n您已预约{{ start_local }}到{{ branch_name }}{{ kind_label }}，置业顾问{{ consultant_name }}将接待您，人数{{ party_size }}人。\n" + _CHECKLIST_ZH),
    ("appointment_confirmation", "sms", "en"): (None,
        "Dear {{ customer_name }}, your {{ kind }} at {{ branch_name }} is booked for {{ start_local }} with {{ consultant_name }}." + _CHECKLIST_EN),
    ("appointment_confirmation", "email", "en"): ("Appointment confirmed: {{ start_local }}",
        "Dear {{ customer_name }},\n\nyour {{ kind }} at {{ branch_name }} is booked for {{ start_local }} with {{ consultant_name }}." + _CHECKLIST_EN),
    ("appointment_reminder", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，提醒您{{ lead_time }}（{{ start_local }}）到{{ branch_name }}{{ kind_label }}，置业顾问{{ consultant_name }}恭候。" + _CHECKLIST_ZH),
    ("appointment_reminder", "sms", "en"): (None,
        "Reminder: your {{ kind }} at {{ branch_name }} is {{ lead_time }} ({{ start_local }})." + _CHECKLIST_EN),
    ("appointment_reminder", "email", "zh-CN"): ("预约提醒：{{ start_local }}",
        "{{ customer_name }}您好：\n\n提醒您{{ lead_time }}（{{ start_local }}）到{{ branch_name }}{{ kind_label }}。\n" + _CHECKLIST_ZH),
    ("appointment_rescheduled", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您的预约已改至{{ start_local }}，地点{{ branch_name }}，置业顾问{{ consultant_name }}。"),
    ("appointment_rescheduled", "sms", "en"): (None, "Your appointment at {{ branch_name }} moved to {{ start_local }}."),
    ("appointment_cancelled", "sms", "zh-CN"): (None,
        "{{ customer_name }}您好，您{{ start_local }}在{{ branch_name }}的预约已取消，如需重新预约请联系{{ consultant_name }}。"),
    ("appointment_cancelled", "sms", "en"): (None, "Your appointment at {{ branch_name }} on {{ start_local }} is cancelled."),
    ("lead_assigned", "sms", "zh-CN"): (None, "{{ staff_name }}，线索{{ lead_id }}已分配给您，请及时跟进。"),
    ("lead_assigned", "email", "zh-CN"): ("新线索分配：{{ lead_id }}",
        "{{ staff_name }}：\n\n线索{{ lead_id }}已分配给您，请及时跟进。"),
    ("lead_assigned", "sms", "en"): (None, "{{ staff_name }}, lead {{ lead_id }} is now yours."),
    ("follow_up_overdue", "sms", "zh-CN"): (None,
        "{{ staff_name }}，线索{{ lead_id }}应于{{ due_local }}跟进，已逾期{{ missed_count }}次，请尽快跟进。"),
    ("follow_up_overdue", "email", "zh-CN"): ("跟进逾期：线索{{ lead_id }}",
        "{{ staff_name }}：\n\n线索{{ lead_id }}应于{{ due_local }}跟进，已逾期{{ missed_count }}次。"),
    ("follow_up_overdue", "sms", "en"): (None, "{{ staff_name }}, follow-up of lead {{ lead_id }} was due {{ due_local }} ({{ missed_count }} missed)."),
    ("follow_up_escalation", "email", "zh-CN"): ("跟进逾期升级：{{ staff_name }} / 线索{{ lead_id }}",
        "{{ manager_name }}：\n\n置业顾问{{ staff_name }}的线索{{ lead_id }}应于{{ due_local }}跟进，已连续逾期{{ missed_count }}次，请关注。"),
    ("follow_up_escalation", "sms", "zh-CN"): (None,
        "{{ manager_name }}，{{ staff_name }}的线索{{ lead_id }}已逾期{{ missed_count }}次未跟进，请关注。"),
    ("follow_up_escalation", "email", "en"): ("Escalation: lead {{ lead_id }}",
        "{{ manager_name }},\n\n{{ staff_name }} has missed {{ missed_count }} follow-ups of lead {{ lead_id }} (due {{ due_local }})."),
    ("reception_approved", "email", "zh-CN"): ("接待申请已批准：{{ reception_class }}类 {{ arrive_local }}",
        "{{ recipient_name }}：\n\n{{ reception_class }}类接待（编号{{ reception_id }}）已批准，来访时间{{ arrive_local }}，来宾{{ guests }}人。请按接待标准做好准备，并在接待后2个工作日内提交反馈。"),
    ("reception_approved", "email", "en"): ("Reception approved: class {{ reception_class }}, {{ arrive_local }}",
        "{{ recipient_name }},\n\nreception {{ reception_id }} (class {{ reception_class }}) is approved for {{ arrive_local }}, {{ guests }} guests."),
    ("daily_digest", "email", "zh-CN"): ("{{ branch_name }} 日报 {{ date }}",
        "{{ manager_name }}：\n\n{{ branch_name }} {{ date }} 日报：\n{% for k, v in summary | dictsort %}- {{ k }}: {{ v }}\n{% endfor %}"),
    ("daily_digest", "email", "en"): ("{{ branch_name }} daily digest {{ date }}",
        "{{ manager_name }},\n\n{% for k, v in summary | dictsort %}- {{ k }}: {{ v }}\n{% endfor %}"),
    ("birthday_greeting", "sms", "zh-CN"): (None, "{{ customer_name }}，{{ branch_name }}祝您生日快乐，幸福安康！"),
    ("birthday_greeting", "email", "zh-CN"): ("生日快乐，{{ customer_name }}", "{{ customer_name }}：\n\n{{ branch_name }}全体同事祝您生日快乐，幸福安康！"),
    ("birthday_greeting", "sms", "en"): (None, "Happy birthday, {{ customer_name }}! Best wishes from {{ branch_name }}."),
    ("holiday_greeting", "sms", "zh-CN"): (None, "{{ customer_name }}，{{ branch_name }}祝您{{ holiday }}快乐，阖家幸福！"),
    ("holiday_greeting", "email", "zh-CN"): ("{{ holiday }}快乐", "{{ customer_name }}：\n\n{{ branch_name }}祝您{{ holiday }}快乐，阖家幸福！"),
    ("holiday_greeting", "sms", "en"): (None, "Happy {{ holiday }}, {{ customer_name }}! From {{ branch_name }}."),
}

KIND_LABELS = {"zh-CN": {"showing": "看房", "office_visit": "到访售楼处", "signing": "签约"},
               "en": {"showing": "showing", "office_visit": "office visit", "signing": "signing"}}
