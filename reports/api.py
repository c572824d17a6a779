"""The reports over JSON (or CSV with `Accept: text/csv`), with the same figures as the pages."""

from kernel.api import api_blueprint, operation, query_args, wants_csv
from kernel.clock import uk_today
from kernel.csv_export import csv_response
from kernel.errors import ValidationFailed
from organisations.access import require_actor, roles_required, supplier_or_404
from organisations.models import Role, Supplier, User
from reports import exports, savings
from reports.schemas import SavingsQuerySchema, SavingsReportSchema, SupplierReportQuerySchema, SupplierReportSchema

bp = api_blueprint("reports_api", __name__)


def _csv_content(schema, header: list[str]) -> dict:
    return {
        "application/json": {"schema": schema},
        "text/csv": {"schema": {"type": "string", "description": "Header: " + ", ".join(header)}},
    }


@bp.get("/reports/savings")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "Spend, saving against list price, pools joined and buy-social share for a member, network, consortium "
    "or the platform, by category, month, supplier and the next level down; amounts net of VAT",
    tags=["reports"],
    query=SavingsQuerySchema,
    errors=(403, 404),
    content=_csv_content(SavingsReportSchema, exports.SAVINGS_HEADER),
)
def savings_report():
    args = query_args(SavingsQuerySchema())
    report = savings.savings_report(savings.scope_for(require_actor(), args["scope"], args.get("id")))
    if wants_csv():
        return csv_response(
            exports.filename(report.scope.name, f"savings-{uk_today().isoformat()}"),
            exports.SAVINGS_HEADER,
            exports.savings_rows(report),
        )
    return SavingsReportSchema().dump(report)


def _supplier(user: User, supplier_id: int | None) -> Supplier:
    if supplier_id is not None:
        return supplier_or_404(user, supplier_id)
    if len(user.supplier_ids) == 1:
        return supplier_or_404(user, next(iter(user.supplier_ids)))
    message = "Say which supplier: you act for several." if user.supplier_ids else "Say which supplier."
    raise ValidationFailed.field("id", message)


@bp.get("/reports/supplier")
@roles_required(Role.SUPPLIER)
@operation(
    "A supplier's units and value invoiced, by consortium, month and offer; value net of VAT",
    tags=["reports"],
    query=SupplierReportQuerySchema,
    errors=(403, 404),
    content=_csv_content(SupplierReportSchema, exports.SUPPLIER_HEADER),
)
def supplier_report():
    supplier = _supplier(require_actor(), query_args(SupplierReportQuerySchema()).get("id"))
    report = savings.supplier_report(supplier)
    if wants_csv():
        return csv_response(
            exports.filename(supplier.name, f"sales-{uk_today().isoformat()}"),
            exports.SUPPLIER_HEADER,
            exports.supplier_rows(report),
        )
    return SupplierReportSchema().dump(report)
