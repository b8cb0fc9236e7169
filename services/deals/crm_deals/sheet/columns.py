"""The unit sheet (销控表) as offices write it: which headers name which field, and the words of 业态."""

from __future__ import annotations

from crm_shared.sheets import Columns, index

_PRICE = ("总价", "表价", "标价", "列表价", "房屋总价", "销售总价", "挂牌价", "售价")
_AREA = ("面积", "建筑面积", "预测面积", "实测面积", "套内面积")
_AREA_UNITS = ("", "(㎡)", "(m²)", "(m2)", "(平方米)", "(平米)", "㎡", "m²")
WAN_UNITS = ("(万元)", "(万)", "万元", "/万元", "（万元）")
YUAN_UNITS = ("", "(元)", "元", "/元", "（元）", "(人民币元)")

COLUMNS = Columns(
    headers={
        "project": ("项目", "楼盘", "项目名称", "楼盘名称", "小区", "project"),
        "building": ("楼栋", "栋号", "楼号", "栋", "幢", "楼栋号", "座", "building"),
        "unit_no": ("房号", "房间号", "房屋编号", "户号", "单元房号", "unit_no", "unit", "room"),
        "product_type": ("业态", "产品类型", "物业类型", "产品", "类型", "product_type", "type"),
        "area": tuple(a + u for a in _AREA for u in _AREA_UNITS) + ("area",),
        "list_price": tuple(p + u for p in _PRICE for u in YUAN_UNITS + WAN_UNITS) + ("list_price", "price"),
        "floor": ("楼层", "所在楼层", "层", "floor"),
    },
    required=("unit_no", "list_price"),
    longest={"project": 100, "building": 50, "unit_no": 50},
    required_text="房号 and 总价 (unit number and price)",
)

PRODUCT_WORDS = index({
    "apartment": ("公寓", "酒店式公寓", "loft", "住宅公寓", "apartment"),
    "high_rise": ("小高层", "高层", "高层住宅", "high_rise"),
    "garden_house": ("洋房", "花园洋房", "garden_house"),
    "villa": ("别墅", "独栋", "独栋别墅", "联排", "联排别墅", "双拼", "双拼别墅", "叠拼", "叠拼别墅", "叠墅", "villa"),
    "shop": ("商铺", "商业", "底商", "街铺", "铺面", "shop"),
    "parking": ("车位", "车库", "停车位", "地下车位", "parking"),
    "other": ("其他", "其它", "储藏室", "杂物间", "other"),
})
"""What an office writes under 业态 -> the product type code."""


def in_wan(header: str) -> bool:
    """A price column headed in 万元 (ten thousands of yuan)."""
    return "万" in header
