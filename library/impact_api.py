"""Impact over JSON (or CSV with `Accept: text/csv`): the report's lines, the consortium's measures, members'
figures and their verification."""

from decimal import Decimal

from kernel.api import api_blueprint, json_body, operation, page_schema, paginated, query_args, wants_csv
from kernel.clock import uk_today
from kernel.csv_export import csv_response
from library import impact
from library.schemas import (
    ImpactReportSchema,
    MeasureInSchema,
    MeasureSchema,
    MeasureUpdateSchema,
    RecordInSchema,
    RecordSchema,
)
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Role
from reports.exports import filename
from reports.savings import scope_for
from reports.schemas import SavingsQuerySchema

bp = api_blueprint("impact_api", __name__)
TAGS = ["impact"]


@bp.get("/impact")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "The impact of a member, network, consortium or the platform: what the platform knows and what members "
    "recorded; the same lines as the page, the PDF and the CSV",
    tags=TAGS,
    query=SavingsQuerySchema,
    errors=(403, 404),
    content={
        "application/json": {"schema": ImpactReportSchema},
        "text/csv": {"schema": {"type": "string", "description": "Header: " + ", ".join(impact.CSV_HEADER)}},
    },
)
def impact_report():
    args = query_args(SavingsQuerySchema())
    report = impact.impact_report(scope_for(require_actor(), args["scope"], args.get("id")))
    if wants_csv():
        return csv_response(
            filename(report.scope.name, f"impact-{uk_today().isoformat()}"), impact.CSV_HEADER, impact.csv_rows(report)
        )
    lines = [
        line.__dict__ | {"value": str(line.value) if isinstance(line.value, Decimal) else line.value}
        for line in impact.lines(report)
    ]
    return ImpactReportSchema().dump(
        {
            "scope": report.scope.kind,
            "id": report.scope.id,
            "name": report.scope.name,
            "lines": lines,
            "not_included": impact.NOT_YET,
        }
    )


@bp.get("/impact/consortia/<int:consortium_id>/measures")
@roles_required(Role.SECRETARY)
@operation("The consortium's impact measures", tags=TAGS, response=page_schema(MeasureSchema))
def list_measures(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    return paginated(impact.measures_query(consortium.id), MeasureSchema())


@bp.post("/impact/consortia/<int:consortium_id>/measures")
@roles_required(Role.SECRETARY)
@operation(
    "Add a measure the consortium's members record", tags=TAGS, body=MeasureInSchema, response=MeasureSchema, status=201
)
def add_measure(consortium_id: int):
    user = require_actor()
    consortium = consortium_or_404(user, consortium_id)
    data = json_body(MeasureInSchema())
    return MeasureSchema().dump(impact.add_measure(user, consortium, **data)), 201


@bp.put("/impact/measures/<int:measure_id>")
@roles_required(Role.SECRETARY)
@operation(
    "Rename, reword, or stop (active false) or restart recording a measure; its figures stay with it",
    tags=TAGS,
    body=MeasureUpdateSchema,
    response=MeasureSchema,
)
def update_measure(measure_id: int):
    user = require_actor()
    measure = impact.measure_for(user, measure_id)
    data = json_body(MeasureUpdateSchema())
    return MeasureSchema().dump(impact.update_measure(user, measure, **data))


@bp.get("/impact/members/<int:member_id>/records")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation("A member's recorded figures, newest period first", tags=TAGS, response=page_schema(RecordSchema))
def list_records(member_id: int):
    return paginated(impact.records_query(impact.member_for(require_actor(), member_id)), RecordSchema())


@bp.post("/impact/members/<int:member_id>/records")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "Record a member's figure for one of its consortium's measures over a past period, with its evidence",
    tags=TAGS,
    body=RecordInSchema,
    response=RecordSchema,
    status=201,
)
def add_record(member_id: int):
    user = require_actor()
    member = impact.member_for(user, member_id)
    data = json_body(RecordInSchema())
    return RecordSchema().dump(impact.record(user, member, **data)), 201


@bp.post("/impact/records/<int:record_id>/verify")
@roles_required(Role.SECRETARY)
@operation(
    "The secretary has seen the evidence: the figure counts as verified",
    tags=TAGS,
    response=RecordSchema,
    errors=(409,),
)
def verify_record(record_id: int):
    user = require_actor()
    return RecordSchema().dump(impact.verify(user, impact.record_for(user, record_id)))
