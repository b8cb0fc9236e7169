"""Pure: one row of the unit sheet (销控表) → a unit, or the reason in Chinese why not.

Prices as offices type them: `2980000`, `2,980,000`, `¥2,980,000.00`, `2980000元`, `298万`, `298.5万元`, or a
plain number in a column headed 总价(万元). Areas with or without a unit (`89.5`, `89.5㎡`, `89.5平方米`).
Any amount that is not a positive number of at most two decimal places in yuan is the row's error.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from crm_shared.sheets import plain
from crm_shared.text import clean_line

from crm_deals.sheet.columns import PRODUCT_WORDS
from crm_deals.units.models import MAX_YUAN, UnitIn

WAN = Decimal(10000)
FIELD_NAMES = {"project": "项目", "building": "楼栋", "unit_no": "房号", "product_type": "业态", "area": "面积",
               "list_price": "总价", "floor": "楼层"}
CURRENCY = re.compile(r"^(?:人民币|RMB|CNY|¥|￥)|(?:元|RMB|CNY)$", re.IGNORECASE)
AREA_UNIT = re.compile(r"(?:㎡|m²|m2|平方米|平米|平方)$", re.IGNORECASE)
FLOOR = re.compile(r"^(-?\d{1,3})(?:层|楼|F)?$", re.IGNORECASE)


class Bad(Exception):
    """The row cannot become a unit: `reason` in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        raise ValueError("a date")
    return unicodedata.normalize("NFKC", str(value)).strip()


def money(value: Any, column_in_wan: bool = False) -> Decimal:
    """Yuan with at most two places; Bad when not a positive amount."""
    try:
        text = _text(value)
    except ValueError:
        raise Bad(f"总价「{value:%Y-%m-%d}」是日期，不是金额") from None
    raw, wan = text, column_in_wan
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    if text.endswith("万元") or text.endswith("万"):
        text, wan = text.removesuffix("元").removesuffix("万"), True
    for _ in range(2):
        text = CURRENCY.sub("", text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Bad(f"总价「{raw[:30]}」不是金额") from None
    if not amount.is_finite():
        raise Bad(f"总价「{raw[:30]}」不是金额")
    if wan:
        amount *= WAN
    if amount <= 0:
        raise Bad("总价必须大于0")
    if amount >= MAX_YUAN:
        raise Bad(f"总价「{raw[:30]}」过大")
    if amount != amount.quantize(Decimal("0.01")):
        raise Bad(f"总价「{raw[:30]}」最多精确到分")
    return amount.quantize(Decimal("0.01"))


def area(value: Any) -> Decimal:
    try:
        text = AREA_UNIT.sub("", _text(value).replace(",", "")).strip()
        amount = Decimal(text)
    except (ValueError, InvalidOperation):
        raise Bad(f"面积「{str(value)[:30]}」不是数字") from None
    if not amount.is_finite() or amount <= 0 or amount >= 1_000_000:
        raise Bad(f"面积「{str(value)[:30]}」不在合理范围内")
    return amount.quantize(Decimal("0.01"))


def product_type(value: Any) -> str:
    try:
        word = _text(value)
    except ValueError:
        word = str(value)
    code = PRODUCT_WORDS.get(plain(word))
    if code is None:
        raise Bad(f"业态「{word[:20]}」无法识别（可填：公寓、小高层、洋房、别墅、商铺、车位、其他）")
    return code


def floor(value: Any) -> int:
    match = FLOOR.match(_text(value)) if not isinstance(value, datetime) else None
    if match is None or not -10 <= int(match.group(1)) <= 300:
        raise Bad(f"楼层「{str(value)[:20]}」不是楼层数")
    return int(match.group(1))


def _line(cells: dict, name: str, default: str | None = None) -> str | None:
    value = cells.get(name)
    if value is None:
        return default
    if isinstance(value, datetime):
        raise Bad(f"{FIELD_NAMES[name]}是日期格式，请填文字")
    try:
        return clean_line(str(value))
    except ValueError:
        raise Bad(f"{FIELD_NAMES[name]}含有无法识别的字符") from None


def unit(cells: dict[str, Any], branch_id: str, price_in_wan: bool, project: str | None = None,
         default_type: str | None = None) -> UnitIn:
    """The unit a row describes; `Bad` with the reason otherwise (the first problem found)."""
    fields: dict[str, Any] = {"branch_id": branch_id}
    fields["project"] = _line(cells, "project", project)
    if not fields["project"]:
        raise Bad("缺少项目（楼盘）名称")
    fields["building"] = _line(cells, "building")
    fields["unit_no"] = _line(cells, "unit_no")
    if not fields["unit_no"]:
        raise Bad("缺少房号")
    raw_type = cells.get("product_type")
    if raw_type is None and default_type is None:
        raise Bad("缺少业态（产品类型）")
    fields["product_type"] = product_type(raw_type) if raw_type is not None else default_type
    if cells.get("list_price") is None:
        raise Bad("缺少总价")
    fields["list_price"] = money(cells["list_price"], price_in_wan)
    if cells.get("area") is not None:
        fields["area"] = area(cells["area"])
    if cells.get("floor") is not None:
        fields["floor"] = floor(cells["floor"])
    try:
        return UnitIn(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = FIELD_NAMES.get(str(first["loc"][0]) if first["loc"] else "", "内容")
        raise Bad(f"{name}不符合要求（{_why(first)}）") from None


def _why(error: dict) -> str:
    kind = error.get("type", "")
    if "too_long" in kind or "at most" in str(error.get("msg", "")):
        return "过长"
    return "格式有误"


def read_error(error: dict) -> str:
    """A row the reader could not take, in Chinese."""
    code = error.get("code")
    if code == "too_long":
        return f"{FIELD_NAMES.get(error.get('field', ''), '某列')}超过{error.get('max')}个字"
    if code == "huge_cell":
        return "某个单元格内容过长"
    if code == "unreadable_rest":
        return "文件从此行起无法读取"
    return "此行无法读取"
