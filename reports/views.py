"""Report pages: savings for a member, network, consortium or the platform; a supplier's volume and value.

Each savings report has a page, a CSV and two charts; the four scopes share one set of views,
registered per scope so that each URL names the object it reports on.
"""

from flask import Blueprint, render_template, url_for

from kernel.charts import svg_response
from kernel.clock import uk_today
from kernel.csv_export import csv_response
from kernel.paging import ListPage
from kernel.web import page_number
from organisations.access import require_actor, roles_required, supplier_or_404
from organisations.models import Role
from reports import charts, exports, savings

bp = Blueprint("reports", __name__, url_prefix="/reports")

SAVINGS_ROLES = (Role.MEMBER, Role.SECRETARY)
ROWS_PER_PAGE = 50  # members, suppliers or offers in a page of a report's table; the totals are of them all


@bp.get("/")
@roles_required(Role.MEMBER, Role.SECRETARY, Role.SUPPLIER)
def index():
    actor = require_actor()
    return render_template(
        "reports/index.html",
        scopes=savings.visible_scopes(actor),
        suppliers=savings.visible_suppliers(actor),
    )


ENDPOINT_SUFFIXES = {"page": "", "csv": "_csv", "month_chart": "_month_chart", "category_chart": "_category_chart"}


@bp.app_template_global()
def report_url(kind: str, scope_id=None, view: str = "page") -> str:
    """The URL of a savings report's page, CSV or chart; the platform takes no id."""
    arguments = {} if kind == "platform" else {f"{kind}_id": scope_id}
    return url_for(f"reports.{kind}{ENDPOINT_SUFFIXES[view]}", **arguments)


def _savings_views(kind: str):
    """The page, CSV and charts of one scope; the URL names the member, network or consortium."""

    def report(url_arguments: dict) -> savings.SavingsReport:
        return savings.savings_report(savings.scope_for(require_actor(), kind, url_arguments.get(f"{kind}_id")))

    def page(**url_arguments):
        found = report(url_arguments)
        return render_template(
            "reports/savings.html",
            report=found,
            parents=savings.parent_scopes(require_actor(), found.scope),
            by_supplier=ListPage.of(found.by_supplier, page_number("suppliers_page"), ROWS_PER_PAGE),
            by_child=ListPage.of(found.by_child, page_number("children_page"), ROWS_PER_PAGE),
            page_args=url_arguments,
        )

    def csv(**url_arguments):
        found = report(url_arguments)
        return csv_response(
            exports.filename(found.scope.name, f"savings-{uk_today().isoformat()}"),
            exports.SAVINGS_HEADER,
            exports.savings_rows(found),
        )

    def month_chart(**url_arguments):
        return svg_response(charts.saving_by_month_svg(report(url_arguments).by_month))

    def category_chart(**url_arguments):
        return svg_response(charts.spend_by_category_svg(report(url_arguments).by_category))

    return {"page": page, "csv": csv, "month_chart": month_chart, "category_chart": category_chart}


def _register(kind: str, *roles: Role) -> None:
    path = "/platform" if kind == "platform" else f"/{kind}/<int:{kind}_id>"
    paths = {
        "page": "",
        "csv": ".csv",
        "month_chart": "/saving-by-month.svg",
        "category_chart": "/spend-by-category.svg",
    }
    for view_name, view in _savings_views(kind).items():
        bp.add_url_rule(
            path + paths[view_name], kind + ENDPOINT_SUFFIXES[view_name], roles_required(*roles)(view), methods=["GET"]
        )


_register("platform", Role.ADMIN)
for _kind in ("consortium", "network", "member"):
    _register(_kind, *SAVINGS_ROLES)


@bp.get("/supplier/<int:supplier_id>")
@roles_required(Role.SUPPLIER)
def supplier(supplier_id: int):
    actor = require_actor()
    report = savings.supplier_report(supplier_or_404(actor, supplier_id))
    return render_template(
        "reports/supplier.html",
        report=report,
        by_offer=ListPage.of(report.by_offer, page_number("offers_page"), ROWS_PER_PAGE),
    )


@bp.get("/supplier/<int:supplier_id>.csv")
@roles_required(Role.SUPPLIER)
def supplier_csv(supplier_id: int):
    actor = require_actor()
    report = savings.supplier_report(supplier_or_404(actor, supplier_id))
    return csv_response(
        exports.filename(report.supplier.name, f"sales-{uk_today().isoformat()}"),
        exports.SUPPLIER_HEADER,
        exports.supplier_rows(report),
    )


@bp.get("/supplier/<int:supplier_id>/value-by-month.svg")
@roles_required(Role.SUPPLIER)
def supplier_chart(supplier_id: int):
    actor = require_actor()
    report = savings.supplier_report(supplier_or_404(actor, supplier_id))
    return svg_response(charts.supplier_value_by_month_svg(report.by_month))
