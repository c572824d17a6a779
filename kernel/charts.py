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


def svg_response(body: bytes) -> Response:
    response = make_response(body)
    response.mimetype = "image/svg+xml"
    response.headers["Content-Security-Policy"] = CHART_CSP
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def render_svg(chart) -> bytes:
    """The chart without pygal's script tags: the chart's CSP forbids scripts anyway."""
    return re.sub(rb"<script\b.*?</script>", b"", chart.render(), flags=re.S)
