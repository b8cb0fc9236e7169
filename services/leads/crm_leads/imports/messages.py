"""Every word of an import that a person reads (the row report, its file headers), Chinese first.

A row's outcome is stored as codes with parameters (`{"code": "bad_phone", "value": "12"}`)
and put into words here, in the reader's language, when the report is read or downloaded.
"""

from __future__ import annotations

from typing import Any

from crm_shared.words import CHANNELS_INLINE

LOCALES = ("zh-CN", "en")

TEXT: dict[str, tuple[str, str]] = {
    # why a row was not imported
    "no_name": ("缺少客户姓名", "no customer name"),
    "no_phone": ("缺少手机号码", "no phone number"),
    "bad_phone": ("手机号码「{value}」无效", "phone number \"{value}\" is not valid"),
    "phone_scientific": ("手机号码「{value}」被 Excel 显示成了科学计数法，请把该列设为文本后重新导出",
                         "phone number \"{value}\" was saved in scientific notation: format the column as text and export again"),
    "bad_date": ("登记日期「{value}」无法识别（请写成 2024-03-05）", "registration date \"{value}\" is not a date (write 2024-03-05)"),
    "future_date": ("登记日期「{value}」晚于今天", "registration date \"{value}\" is in the future"),
    "old_date": ("登记日期「{value}」早于2000年", "registration date \"{value}\" is before 2000"),
    "bad_text": ("「{field}」含有无法显示的字符", "\"{field}\" holds control characters"),
    "too_long": ("「{field}」超过{max}个字", "\"{field}\" is longer than {max} characters"),
    "unreadable_row": ("该行无法读取", "this row cannot be read"),
    "huge_cell": ("该行有单元格超过十万字，无法读取", "a cell of this row is longer than 100,000 characters"),
    "unreadable_rest": ("文件从该行起无法读取，之后的行未导入", "the file cannot be read from this row on; the rest was not imported"),
    "not_reached": ("导入中断，该行未导入，请重新上传", "the import stopped before this row: upload it again"),
    "busy_phone": ("该号码正被同时登记，请稍后重试", "the phone was being registered at the same moment; retry"),
    # duplicates
    "duplicate_existing": ("与已有客户「{name}」重复（置业顾问：{owner}）", "already a customer: {name} (consultant: {owner})"),
    "duplicate_in_sheet": ("与表格第{row}行是同一号码", "same phone as row {row} of this sheet"),
    # imported, with something left out
    "owner_unknown": ("置业顾问「{value}」不是本案场的同事，客户已放入公海", "consultant \"{value}\" is not staff of this branch: the customer went to the pool"),
    "owner_not_consultant": ("「{value}」不是置业顾问，客户已放入公海", "\"{value}\" is not a consultant: the customer went to the pool"),
    "owner_left": ("置业顾问「{value}」已离职，客户已放入公海", "consultant \"{value}\" has left: the customer went to the pool"),
    "owner_ambiguous": ("置业顾问「{value}」有{count}位同名同事，客户已放入公海，请手动分配",
                        "{count} colleagues are called \"{value}\": the customer went to the pool, assign by hand"),
    "channel_unknown": ("来源渠道「{value}」无法识别，记为「{channel}」", "channel \"{value}\" is not known: recorded as \"{channel}\""),
    "grade_unknown": ("意向等级「{value}」无法识别（应为 O/A/B/C），未设等级", "grade \"{value}\" is not O/A/B/C: left empty"),
    "gender_unknown": ("性别「{value}」无法识别，未填写", "gender \"{value}\" is not known: left empty"),
    "email_bad": ("邮箱「{value}」无效，未填写", "email \"{value}\" is not valid: left empty"),
    "birthday_bad": ("生日「{value}」无法识别，未填写", "birthday \"{value}\" is not a date: left empty"),
    "extra_phones": ("只导入了第一个号码，其余号码：{value}", "only the first number was imported; the others: {value}"),
    # words
    "status.created": ("已导入", "imported"),
    "status.duplicate": ("重复", "duplicate"),
    "status.invalid": ("无效", "invalid"),
    "state.running": ("导入中", "importing"),
    "state.done": ("已完成", "done"),
    "state.failed": ("失败", "failed"),
    "pool": ("公海", "pool"),
    "field.name": ("客户姓名", "customer name"),
    "field.phone": ("手机号码", "phone"),
    "field.gender": ("性别", "gender"),
    "field.email": ("邮箱", "email"),
    "field.birthday": ("生日", "birthday"),
    "field.grade": ("意向等级", "grade"),
    "field.owner": ("置业顾问", "consultant"),
    "field.channel": ("来源渠道", "channel"),
    "field.campaign": ("活动", "campaign"),
    "field.referrer": ("推荐人", "referrer"),
    "field.date": ("登记日期", "registration date"),
    "field.interest": ("备注", "notes"),
    "head.row": ("行号", "Row"),
    "head.status": ("结果", "Result"),
    "head.name": ("客户姓名", "Customer"),
    "head.phone": ("手机号码", "Phone"),
    "head.owner": ("置业顾问", "Consultant"),
    "head.channel": ("来源渠道", "Channel"),
    "head.date": ("登记日期", "Registered on"),
    "head.reason": ("说明", "Notes"),
    "sheet.title": ("导入结果", "Import result"),
}
TEXT |= {f"channel.{c}": (zh, CHANNELS_INLINE["en"][c]) for c, zh in CHANNELS_INLINE["zh-CN"].items()}
"""A channel says what it says in every service (crm_shared.words)."""


def word(key: str, locale: str) -> str:
    pair = TEXT.get(key)
    return key if pair is None else pair[1 if locale == "en" else 0]


def say(item: dict[str, Any], locale: str) -> str:
    """One reason in words: `{"code": ..., params}` with field and channel codes named in the reader's language."""
    params = {k: v for k, v in item.items() if k != "code"}
    if "field" in params:
        params["field"] = word(f"field.{params['field']}", locale)
    if "channel" in params:
        params["channel"] = word(f"channel.{params['channel']}", locale)
    text = word(item["code"], locale)
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text
