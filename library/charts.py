"""The impact page's chart: members' verified figures per measure (pygal, server-rendered, no script)."""

import pygal

from kernel.charts import GREEN, bar_chart_height, chart_style, render_svg
from library.figures import MeasureTotal

STYLE = chart_style((GREEN,), value_font_size=11, value_label_font_size=11, title_font_size=15)


def measures_svg(totals: list[MeasureTotal]) -> bytes:
    chart = pygal.HorizontalBar(
        js=[],
        style=STYLE,
        width=720,
        height=bar_chart_height(len(totals)),
        explicit_size=True,
        show_legend=False,
        print_values=True,
        title="Members' verified figures, by measure",
        value_formatter=lambda v: f"{round(v or 0):,}",
        no_data_text="No verified figures yet",
    )
    top_down = list(reversed(totals))  # pygal draws the first bar at the bottom; the table reads from the top
    chart.x_labels = [f"{t.measure} ({t.unit})" for t in top_down]
    chart.add("Verified", [t.verified for t in top_down])
    return render_svg(chart)
