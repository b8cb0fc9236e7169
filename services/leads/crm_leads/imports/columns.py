"""The words offices write in their sheets, and what they mean (docs/contract.md, "Importing a sheet").

Headers, channel, grade and gender words compare after `plain`: NFKC (full-width letters and
digits become ASCII), no spaces, case-folded, and a header loses a trailing `*`, `:` or
"(必填)". A header not in the table is ignored (and listed on the job); a value not in the
table leaves the field empty or at the default with a warning on the row.
"""

from __future__ import annotations

import re

from crm_shared.sheets import Columns, index, plain

HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("客户姓名", "姓名", "客户名称", "客户名", "客户", "名字", "name", "customer_name", "customer"),
    "phone": ("手机号码", "手机号", "手机", "电话", "电话号码", "联系电话", "联系方式", "客户电话", "客户手机", "移动电话",
              "phone", "mobile", "tel", "telephone", "phone_number"),
    "gender": ("性别", "gender", "sex"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "birthday": ("生日", "出生日期", "birthday"),
    "grade": ("意向等级", "客户等级", "等级", "意向级别", "客户级别", "级别", "grade", "level"),
    "owner": ("置业顾问", "顾问", "销售顾问", "所属顾问", "归属顾问", "跟进顾问", "跟进人", "负责人", "owner", "owner_id",
              "consultant"),
    "channel": ("来源渠道", "渠道", "来源", "客户来源", "来访渠道", "认知途径", "获知途径", "channel", "source"),
    "campaign": ("活动", "活动名称", "campaign"),
    "referrer": ("推荐人", "介绍人", "渠道名称", "渠道公司", "中介公司", "referrer"),
    "date": ("登记日期", "来访日期", "登记时间", "来访时间", "到访日期", "首访日期", "首次到访日期", "录入日期", "日期", "date",
             "registered_at", "registration_date"),
    "interest": ("备注", "意向", "意向房源", "意向户型", "客户需求", "需求", "interest", "note", "notes", "remark", "remarks"),
}
"""Field -> the headers that name it (Chinese first). `owner` takes a staff name (or id)."""

CHANNELS: dict[str, tuple[str, ...]] = {
    "walk_in": ("自然到访", "到访", "自然来访", "来访", "到店", "来店", "进店", "上门", "路过", "自访", "walk_in", "walkin", "walk-in"),
    "phone": ("来电", "电话", "来电咨询", "电话咨询", "热线", "400电话", "phone", "call"),
    "partner": ("渠道", "中介", "分销", "渠道分销", "中介带看", "经纪人", "代理", "partner", "agency", "agent"),
    "referral": ("老带新", "推荐", "转介绍", "介绍", "朋友介绍", "老客户推荐", "业主推荐", "员工推荐", "全民营销", "referral"),
    "online": ("网络", "线上", "网上", "互联网", "网站", "官网", "微信", "公众号", "小程序", "抖音", "安居客", "房天下", "贝壳",
               "online", "web", "internet"),
    "event": ("活动", "展会", "巡展", "外展", "暖场活动", "路演", "拓客", "派单", "event"),
    "import": ("导入", "import"),
}
"""Lead channel -> the words offices use for it."""

GENDERS: dict[str, tuple[str, ...]] = {
    "male": ("男", "男士", "先生", "male", "m"),
    "female": ("女", "女士", "小姐", "female", "f"),
    "unknown": ("未知", "不详", "unknown"),
}

REQUIRED = ("name", "phone")
"""Columns without which a sheet is refused as a whole (422 `missing-columns`)."""

_GRADE = re.compile(r"^([oabc])(?:级|类)?(?:客户)?(?:[(（].*[)）])?$")


LONGEST = {"interest": 1000, "name": 100, "phone": 40, "email": 254}
COLUMNS = Columns(HEADERS, REQUIRED, longest=LONGEST, joined=("interest",),
                  required_text="the customer's name and phone (客户姓名, 手机号码)")
field_of = COLUMNS.field_of
"""The field a header names, or None."""

_BY_CHANNEL, _BY_GENDER = index(CHANNELS), index(GENDERS)


def channel_of(text: str) -> str | None:
    return _BY_CHANNEL.get(plain(text))


def gender_of(text: str) -> str | None:
    return _BY_GENDER.get(plain(text))


def grade_of(text: str) -> str | None:
    """O, A, B or C from "A", "a", "Ａ", "A级", "A类客户", "O级（一个月内）"; None otherwise."""
    m = _GRADE.match(plain(text))
    return m.group(1).upper() if m else None
