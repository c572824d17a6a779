"""Server-rendered SVG charts: one house style and one way to serve them, for every package."""

import re

from flask import Response, make_response
from pygal.style import Style

# A chart is an <img>: pygal's own inline styles are its only content, and no page may frame it.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

INK = "#1d2433"
GREEN = "#1f6f5c"


def chart_style(colors: tuple[str, ...] = (INK,), **sizes) -> Style:
    """Dark ink on white, large labels: legible in print and without colour."""
    fonts = dict(value_label_font_size=12, label_font_size=12, major_label_font_size=12, legend_font_size=13) | sizes
    return Style(
        background="white",
        plot_background="white",
        foreground=INK,
        foreground_strong=INK,
        foreground_subtle="#5b6478",
        colors=colors,
        font_family="sans-serif",
        **fonts,
    )


def bar_chart_height(bars: int) -> int:
    """A horizontal bar chart's height for `bars` bars; pages size the chart's image by it before it is drawn."""
    return max(200, 70 + 44 * bars)


def svg_response(body: bytes) -> Response:
    response = make_response(body)
    response.mimetype = "image/svg+xml"
    response.headers["Content-Security-Policy"] = CHART_CSP
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def render_svg(chart) -> bytes:
    """The chart without pygal's script tags: the chart's CSP forbids scripts anyway."""
    return re.sub(rb"<script\b.*?</script>", b"", chart.render(), flags=re.S)


LABEL_LIMIT = 18
"""Characters of an axis label before it is cut short: at 12 px this fits a bar's slot at 720 px wide."""


def short_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """A label cut to `limit` characters with an ellipsis, at a word boundary when one is near; the table
    beside the chart carries the whole name."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit // 2 else cut).rstrip(" ,:;-") + "…"


def nice_step(largest: int, ticks: int = 5) -> int:
    """A round step (1, 2 or 5 times a power of ten) that covers 0..`largest` in about `ticks` steps."""
    if largest <= 0:
        return 1
    raw = largest / ticks
    power = 1
    while power * 10 <= raw:
        power *= 10
    for multiple in (1, 2, 5, 10):
        if power * multiple >= raw:
            return power * multiple
    return power * 10


def ticks(largest: int, unit: int = 1) -> list[int]:
    """Axis ticks from 0 past `largest`, a round number apart, in multiples of `unit` (100 for whole pounds
    when the values are pence): £0, £500, £1,000..."""
    step = nice_step(-(-largest // unit)) * unit
    top = -(-max(largest, 1) // step) * step
    return list(range(0, top + step, step))


def pounds_axis(largest_pence: int) -> list[dict]:
    """pygal's labels for a money axis: round-pound ticks written £0, £500, £1,000."""
    return [{"value": tick, "label": f"£{tick // 100:,}"} for tick in ticks(largest_pence, unit=100)]
