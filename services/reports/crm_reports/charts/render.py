"""PNG and SVG charts with Chinese labels (matplotlib, Agg, no pyplot state).

The CJK font ships in a PyPI package (Noto Sans CJK), so charts render the same on every
machine without system fonts; SVG text is drawn as paths, so viewers need no font either.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib.resources import files
from typing import Literal

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

Kind = Literal["line", "bar", "barh"]
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


@lru_cache(maxsize=1)
def cjk_font() -> FontProperties:
    """The bundled Noto Sans CJK font, registered with matplotlib once."""
    path = str(files("cvttf_NotoSansCJK_Regular") / "NotoSansCJKtc-Regular.otf")
    font_manager.fontManager.addfont(path)
    return FontProperties(fname=path)


def render(title: str, categories: list[str], series: dict[str, list[float]], kind: Kind, fmt: str) -> bytes:
    """One chart; an empty report still renders, saying so."""
    font = cjk_font()
    fig = Figure(figsize=(9, 4.8), dpi=100)
    canvas = FigureCanvasAgg(fig) if fmt == "png" else FigureCanvasSVG(fig)
    ax = fig.add_subplot()
    ax.set_title(title, fontproperties=font, fontsize=14)
    if not categories or not series:
        ax.text(0.5, 0.5, "暂无数据", fontproperties=font, fontsize=16, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        positions = list(range(len(categories)))
        width = 0.8 / max(len(series), 1)
        for i, (name, values) in enumerate(series.items()):
            values = [v or 0 for v in values]
            if kind == "line":
                ax.plot(positions, values, marker="o", label=name)
            elif kind == "bar":
                ax.bar([p + (i - (len(series) - 1) / 2) * width for p in positions], values, width, label=name)
            else:
                ax.barh([p + (i - (len(series) - 1) / 2) * width for p in positions], values, width, label=name)
        ticks = ax.set_yticks if kind == "barh" else ax.set_xticks
        ticks(positions, categories, fontproperties=font)
        if kind != "barh" and len(categories) > 8:
            for tick in ax.get_xticklabels():
                tick.set_rotation(45)
                tick.set_ha("right")
        ax.legend(prop=font)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    if fmt == "png":
        canvas.print_png(buf)
    else:
        canvas.print_svg(buf)
    return buf.getvalue()
