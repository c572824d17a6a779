"""Server-rendered SVG charts of the reports (pygal, no JavaScript, no CDN).

Each chart has one series, a title, axis titles and every bar labelled with its amount, so
it reads the same in black and white; the page shows the same figures in a table beside it.
Amounts are passed as integer pence and formatted as pounds only for display.
"""

import pygal

from kernel.charts import GREEN, chart_style, pounds_axis, render_svg, short_label
from kernel.formatting import pounds
from reports.savings import Row

STYLE = chart_style((GREEN,), value_font_size=11, value_label_font_size=11, title_font_size=15)


def _pounds_label(value) -> str:
    return pounds(round(value or 0))


def saving_by_month_svg(rows: list[Row]) -> bytes:
    chart = pygal.Bar(
        js=[],
        style=STYLE,
        width=720,
        height=340,
        explicit_size=True,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        x_label_rotation=30,
        title="Saving against list price, by month (net of VAT)",
        y_title="Saving (£)",
        value_formatter=_pounds_label,
        no_data_text="No invoices yet",
    )
    chart.x_labels = [short_label(row.label) for row in rows]
    chart.y_labels = pounds_axis(max((row.figures.saving_pence for row in rows), default=0))
    chart.add("Saving", [row.figures.saving_pence for row in rows])
    return render_svg(chart)


def spend_by_category_svg(rows: list[Row]) -> bytes:
    chart = pygal.HorizontalBar(
        js=[],
        style=STYLE,
        width=720,
        height=max(200, 70 + 44 * len(rows)),
        explicit_size=True,
        show_legend=False,
        print_values=True,
        title="Spend by category (invoiced, net of VAT and credit notes)",
        x_title="Spend (£)",
        value_formatter=_pounds_label,
        no_data_text="No invoices yet",
    )
    top_down = list(reversed(rows))  # pygal draws the first bar at the bottom; the table reads from the top
    chart.x_labels = [short_label(row.label, 24) for row in top_down]
    chart.y_labels = pounds_axis(max((row.figures.spend_pence for row in top_down), default=0))
    chart.add("Spend", [row.figures.spend_pence for row in top_down])
    return render_svg(chart)


def supplier_value_by_month_svg(rows: list[Row]) -> bytes:
    chart = pygal.Bar(
        js=[],
        style=STYLE,
        width=720,
        height=340,
        explicit_size=True,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        x_label_rotation=30,
        title="Value invoiced for your orders, by month (net of VAT)",
        y_title="Value (£)",
        value_formatter=_pounds_label,
        no_data_text="No invoices yet",
    )
    chart.x_labels = [short_label(row.label) for row in rows]
    chart.y_labels = pounds_axis(max((row.figures.spend_pence for row in rows), default=0))
    chart.add("Value", [row.figures.spend_pence for row in rows])
    return render_svg(chart)
