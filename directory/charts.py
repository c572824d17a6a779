"""The spend-with-social-enterprises chart (pygal, no JavaScript): the social-enterprise spend of each consortium
or member, every bar labelled; the page's table has the same figures."""

import pygal

from directory.services import SpendRow
from kernel.charts import GREEN, bar_chart_height, chart_style, render_svg
from kernel.formatting import pounds

STYLE = chart_style((GREEN,), value_font_size=11, value_label_font_size=11, title_font_size=15)
CHART_ROWS = 30  # the largest (services.most_social_spend reads only those); the table and the CSV have them all


def _pounds_label(value) -> str:
    return pounds(round(value or 0))


def chart_height(rows: int) -> int:
    """The chart's height for a scope listing `rows` consortia or members: a bar for each of the largest CHART_ROWS."""
    return bar_chart_height(min(rows, CHART_ROWS))


def social_spend_svg(largest: list[SpendRow]) -> bytes:
    """`largest`: the rows with the most social-enterprise spend, most first."""
    rows = list(reversed(largest))  # pygal draws the first bar at the bottom
    chart = pygal.HorizontalBar(
        js=[],
        style=STYLE,
        width=720,
        height=chart_height(len(rows)),
        explicit_size=True,
        show_legend=False,
        print_values=True,
        title="Spend with social enterprises (invoiced, net of VAT and credit notes)",
        x_title="Spend (£)",
        value_formatter=_pounds_label,
        no_data_text="No invoices yet",
    )
    chart.x_labels = [row.label for row in rows]
    chart.add("With social enterprises", [row.social_pence for row in rows])
    return render_svg(chart)
