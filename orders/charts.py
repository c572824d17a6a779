"""The charts of pools: how one pool's demand grew, and a supplier's forecast of one offer by week.

Each chart is one offer's units, never a sum across offers (reams and cartridges do not add up),
and its page shows the same figures in a table. SVG with a viewBox, so it scales to its container.
"""

from datetime import date

import pygal

from catalogue.models import Offer
from kernel.charts import chart_style, render_svg, short_label, ticks
from orders.demand import Week


def _units_axis(largest: int) -> list[dict]:
    return [{"value": tick, "label": f"{tick:,}"} for tick in ticks(largest)]


def pool_growth_svg(points: list[tuple[date, int]], unit: str) -> bytes:
    """The pool's running total pledged at the end of each day with a change."""
    chart = pygal.Line(
        js=[],
        style=chart_style(value_label_font_size=11),
        width=720,
        height=320,
        explicit_size=True,
        show_legend=False,
        dots_size=4,
        x_label_rotation=30,
        show_minor_x_labels=False,
        x_labels_major_count=8,
        title="Pledged so far, by day",
        y_title=f"Pledged ({unit}, running total)",
        value_formatter=lambda v: f"{v:,.0f}",
        no_data_text="No pledges yet",
    )
    chart.x_labels = [day.strftime("%-d %b") for day, _ in points]
    chart.y_labels = _units_axis(max((units for _, units in points), default=0))
    chart.add("Pledged", [units for _, units in points], stroke_style={"width": 3})
    return render_svg(chart)


def weekly_forecast_svg(weeks: list[Week], offer: Offer | None) -> bytes:
    """One offer's units pledged in open pools, by the week their deadline falls in."""
    chart = pygal.Bar(
        js=[],
        style=chart_style(value_label_font_size=11, title_font_size=15),
        width=720,
        height=340,
        explicit_size=True,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        x_label_rotation=30,
        title=f"{short_label(offer.name, 40)}: pledged, by the week pools close" if offer else "Forecast by week",
        y_title=f"Pledged ({offer.unit})" if offer else "",
        value_formatter=lambda v: f"{v:,.0f}",
        no_data_text="No open pools" if offer else "Choose an offer to see its forecast",
    )
    if offer is not None:
        chart.x_labels = [week.label for week in weeks]
        chart.y_labels = _units_axis(max((week.units for week in weeks), default=0))
        chart.add("Pledged", [week.units for week in weeks])
    return render_svg(chart)
