"""Chinese text in charts is drawn with real glyphs, not boxes (tofu)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont

from crm_reports.charts.render import cjk_font, render
from crm_reports.charts.specs import chart_data


def glyph_bitmap(text: str, font: FontProperties) -> np.ndarray:
    fig = Figure(figsize=(1, 1), dpi=64)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.1, 0.3, text, fontproperties=font, fontsize=30)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, 0].copy()


def text_width(text: str, font: FontProperties) -> float:
    fig = Figure()
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    w, _, _ = renderer.get_text_width_height_descent(text, font, ismath=False)
    return w


def test_the_bundled_font_draws_distinct_chinese_glyphs():
    font = cjk_font()
    assert "NotoSansCJK" in font.get_file()
    assert not np.array_equal(glyph_bitmap("客", font), glyph_bitmap("流", font))
    assert not np.array_equal(glyph_bitmap("到访", font), glyph_bitmap("成交", font))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_font_without_chinese_draws_identical_boxes_so_the_check_can_fail():
    dejavu = FontProperties(fname=findfont(FontProperties(family="DejaVu Sans")))
    assert np.array_equal(glyph_bitmap("客", dejavu), glyph_bitmap("流", dejavu))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_chinese_widths_differ_from_the_tofu_width():
    font = cjk_font()
    dejavu = FontProperties(fname=findfont(FontProperties(family="DejaVu Sans")))
    assert text_width("客流量统计", font) != text_width("客流量统计", dejavu)
    assert text_width("一", font) == text_width("流", font), "CJK glyphs are full width in the real font"
    assert text_width("流失原因分析", font) > text_width("流失", font)


def test_chart_data_uses_chinese_titles_and_labels():
    report = {"group_by": "channel", "items": [{"group": "phone", "leads": 2, "visited": 1, "won": 1},
                                               {"group": "walk_in", "leads": 1, "visited": 1, "won": 0}]}
    title, categories, series, kind = chart_data("funnel", report)
    assert title == "客户转化漏斗（按渠道）" and categories == ["来电", "自然到访"] and kind == "bar"
    assert series == {"客户数": [2.0, 1.0], "到访数": [1.0, 1.0], "成交数": [1.0, 0.0]}


def test_render_png_svg_and_empty():
    png = render("客流量统计", ["03-10", "03-11"], {"新增客户": [4, 1]}, "line", "png")
    assert png.startswith(b"\x89PNG")
    svg = render("流失原因分析", ["价格太高"], {"数量": [1]}, "barh", "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert render("空", [], {}, "bar", "png").startswith(b"\x89PNG")
