"""Tenders over JSON: the same services as the pages, the seal included (409 before the opening)."""

from collections.abc import Callable
from datetime import UTC

from flask import request

from frameworks import services as frameworks
from frameworks.models import Route
from frameworks.schemas import FrameworkSchema
from kernel.api import PageArgsSchema, api_blueprint, json_body, operation, page_of, page_schema
from kernel.paging import ListPage
from organisations.access import require_actor, roles_required
from organisations.models import Role
from tenders import services
from tenders.models import Tender
from tenders.ranking import BidTier
from tenders.schemas import (
    AnswerInSchema,
    BidInSchema,
    BidSchema,
    ClarificationInSchema,
    ClarificationSchema,
    ComparisonSchema,
    EvaluatorsInSchema,
    EvaluatorsSchema,
    FrameworkAwardInSchema,
    MiniCompetitionInSchema,
    ScoreInSchema,
    ScoreSchema,
    TenderInSchema,
    TenderReasonSchema,
    TenderRecordSchema,
    TenderSchema,
)

bp = api_blueprint("tenders_api", __name__)
TAGS = ["tenders"]
READERS = (Role.SECRETARY, Role.SUPPLIER, Role.MEMBER)
RUNNERS = (Role.SECRETARY, Role.MEMBER)  # a member's people run its mini-competitions


def _in_memory_page(rows: list, schema) -> dict:
    args = PageArgsSchema().load({k: v for k, v in request.args.items() if k in ("page", "per_page")})
    page = ListPage.of(rows, args["page"], args["per_page"])
    return {"items": schema.dump(page.items, many=True), "page": page.page, "per_page": page.per_page} | {
        "total": page.total
    }


@bp.get("/tenders")
@roles_required(*READERS)
@operation(
    "Tenders the caller runs, is invited to (once published) or evaluates",
    tags=TAGS,
    response=page_schema(TenderSchema),
)
def list_tenders():
    items, facts = page_of(services.visible(require_actor()))
    return {"items": TenderSchema(many=True).dump(items)} | facts


@bp.post("/tenders")
@roles_required(Role.SECRETARY)
@operation(
    "Start a draft tender for a consortium (its secretary) or national (admins); a lot may name a pool",
    tags=TAGS,
    body=TenderInSchema,
    response=TenderSchema,
    status=201,
)
def create_tender():
    user = require_actor()
    data = json_body(TenderInSchema())
    lots = [
        services.lot_from_pool(user, lot["pool_id"], f"lots.{n}.pool_id")
        if lot["pool_id"] is not None
        else services.LotDraft(lot["name"], lot["unit"], lot["forecast_quantity"], lot["vat_rate"])
        for n, lot in enumerate(data.pop("lots"))
    ]
    for name in ("clarification_deadline", "submission_deadline"):
        data[name] = data[name].astimezone(UTC)
    tender = services.create_tender(user, services.TenderDraft(lots=lots, **data))
    return TenderSchema().dump(tender), 201


@bp.get("/tenders/<int:tender_id>")
@roles_required(*READERS)
@operation("One tender: its terms, lots and state (no price of any bid)", tags=TAGS, response=TenderSchema)
def get_tender(tender_id: int):
    return TenderSchema().dump(services.tender_for(require_actor(), tender_id))


def _move(name: str, path: str, make: Callable[..., Tender], summary: str) -> None:
    def view(tender_id: int):
        user = require_actor()
        return TenderSchema().dump(make(user, services.tender_for(user, tender_id)))

    view.__name__ = name
    documented = operation(summary, tags=TAGS, response=TenderSchema, errors=(409,))(view)
    bp.add_url_rule(f"/tenders/<int:tender_id>/{path}", name, roles_required(*RUNNERS)(documented), methods=["POST"])


_move("publish", "publish", services.publish, "Publish a draft: the invited suppliers are told")
_move("open_bids", "open", services.open_bids, "Open the bids after the submission deadline (or find it unsuccessful)")
_move("evaluate", "evaluate", services.evaluate, "Close scoring once every evaluator has scored every bid")
_move("propose_award", "propose-award", services.propose_award, "Propose each lot's best-ranked bid")
_move("start_standstill", "standstill", services.start_standstill, "Start the standstill")
_move(
    "award",
    "award",
    services.award,
    "Award after the standstill: a pool's lot gives the pool the winning tiers; a mini-competition places its call-off",
)


@bp.post("/tenders/<int:tender_id>/award-framework")
@roles_required(Role.SECRETARY)
@operation(
    "Award after the standstill to a live framework: each lot's winner its supplier, the winning tiers its rate card",
    tags=TAGS,
    body=FrameworkAwardInSchema,
    response=FrameworkSchema,
    status=201,
    errors=(409,),
)
def award_framework(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    data = json_body(FrameworkAwardInSchema())
    terms = services.FrameworkAward(**(data | {"route": Route(data["route"])}))
    return FrameworkSchema().dump(services.award_to_framework(user, tender, terms)), 201


@bp.post("/frameworks/<int:framework_id>/mini-competitions")
@roles_required(*RUNNERS)
@operation(
    "Start a mini-competition among a framework's suppliers for one member's call-off; published at once",
    tags=TAGS,
    body=MiniCompetitionInSchema,
    response=TenderSchema,
    status=201,
    errors=(409,),
)
def start_mini_competition(framework_id: int):
    user = require_actor()
    framework = frameworks.framework_for(user, framework_id)
    data = json_body(MiniCompetitionInSchema())
    for name in ("clarification_deadline", "submission_deadline"):
        data[name] = data[name].astimezone(UTC)
    tender = services.start_mini_competition(user, services.MiniCompetitionDraft(framework_id=framework.id, **data))
    return TenderSchema().dump(tender), 201


@bp.post("/tenders/<int:tender_id>/cancel")
@roles_required(*RUNNERS)
@operation(
    "Cancel the tender with a reason the invitees are told",
    tags=TAGS,
    body=TenderReasonSchema,
    response=TenderSchema,
    errors=(409,),
)
def cancel(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    return TenderSchema().dump(services.cancel(user, tender, json_body(TenderReasonSchema())["reason"]))


@bp.put("/tenders/<int:tender_id>/evaluators")
@roles_required(*RUNNERS)
@operation(
    "Name the evaluators: two or more people of the consortium's members",
    tags=TAGS,
    body=EvaluatorsInSchema,
    response=EvaluatorsSchema,
    errors=(409,),
)
def name_evaluators(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    people = services.name_evaluators(user, tender, json_body(EvaluatorsInSchema())["user_ids"])
    return {"user_ids": sorted(p.id for p in people)}


@bp.get("/tenders/<int:tender_id>/clarifications")
@roles_required(*READERS)
@operation(
    "Questions and answers: bidders see the published answers (and their own questions), never who asked",
    tags=TAGS,
    response=page_schema(ClarificationSchema),
)
def list_clarifications(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    return _in_memory_page(services.clarifications(user, tender), ClarificationSchema())


@bp.post("/tenders/<int:tender_id>/clarifications")
@roles_required(Role.SUPPLIER)
@operation(
    "Ask a question before the clarification deadline",
    tags=TAGS,
    body=ClarificationInSchema,
    response=ClarificationSchema,
    status=201,
    errors=(409,),
)
def ask(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    data = json_body(ClarificationInSchema())
    asked = services.ask(user, tender, data["question"], data["supplier_id"])
    return ClarificationSchema().dump(
        services.ClarificationView(asked.id, asked.question, None, asked.asked_at, None, None)
    ), 201


@bp.post("/tenders/<int:tender_id>/clarifications/<int:clarification_id>/answer")
@roles_required(*RUNNERS)
@operation(
    "Answer a question: published to every bidder without the asker's name",
    tags=TAGS,
    body=AnswerInSchema,
    response=ClarificationSchema,
    errors=(409,),
)
def answer(tender_id: int, clarification_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    done = services.answer(user, tender, clarification_id, json_body(AnswerInSchema())["answer"])
    return ClarificationSchema().dump(
        services.ClarificationView(done.id, done.question, done.answer, done.asked_at, done.answered_at, None)
    )


@bp.put("/tenders/<int:tender_id>/lots/<int:lot_id>/bid")
@roles_required(Role.SUPPLIER)
@operation(
    "Make or replace the supplier's sealed bid for a lot, until the submission deadline",
    tags=TAGS,
    body=BidInSchema,
    response=BidSchema,
    errors=(409,),
)
def put_bid(tender_id: int, lot_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    data = json_body(BidInSchema())
    draft = services.BidDraft(
        [BidTier(t["min_quantity"], t["unit_price"]) for t in data["tiers"]],
        data["delivery_charge_pence"],
        data["lead_time_days"],
        data["answers"],
    )
    return BidSchema().dump(services.submit_bid(user, tender, lot_id, draft, data["supplier_id"]))


@bp.get("/tenders/<int:tender_id>/bids")
@roles_required(*READERS)
@operation(
    "Bids: a supplier sees its own at any time; the runner and evaluators every bid once opened (409 while sealed)",
    tags=TAGS,
    response=page_schema(BidSchema),
    errors=(409,),
)
def list_bids(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    if services.can_run(user, tender) or services.is_evaluator(user, tender):
        return _in_memory_page(services.all_bids(user, tender), BidSchema())
    return _in_memory_page(services.own_bids(user, tender), BidSchema())


@bp.get("/tenders/<int:tender_id>/comparison")
@roles_required(Role.SECRETARY, Role.MEMBER)
@operation(
    "Supplier x lot costs at the forecast and 25% either side, net and gross; the ranking for the runner",
    tags=TAGS,
    response=ComparisonSchema,
    errors=(409,),
)
def comparison(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    lots = [
        {
            "lot_id": entry.lot.id,
            "name": entry.lot.name,
            "quantities": list(entry.quantities),
            "bids": [
                {
                    "bid_id": row.bid.id,
                    "supplier_id": row.bid.supplier_id,
                    "supplier_name": row.bid.supplier.name,
                    "buy_social": row.bid.supplier.buy_social,
                    "lead_time_days": row.bid.lead_time_days,
                    "net_pence": list(row.net_pence),
                    "gross_pence": list(row.gross_pence),
                    "rank": row.ranked.rank if row.ranked else None,
                    "total": row.ranked.total_points if row.ranked else None,
                }
                for row in entry.rows
            ],
        }
        for entry in services.compare(user, tender)
    ]
    return ComparisonSchema().dump({"lots": lots})


@bp.put("/tenders/<int:tender_id>/bids/<int:bid_id>/score")
@roles_required(Role.MEMBER)
@operation(
    "An evaluator's quality score of one bid (0 to 100), blind to the others'",
    tags=TAGS,
    body=ScoreInSchema,
    response=ScoreSchema,
    errors=(409,),
)
def put_score(tender_id: int, bid_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    data = json_body(ScoreInSchema())
    return ScoreSchema().dump(services.score(user, tender, bid_id, data["quality"], data["note"]))


@bp.post("/tenders/<int:tender_id>/lots/<int:lot_id>/decline")
@roles_required(Role.SUPPLIER, Role.SECRETARY)
@operation(
    "The proposed winner declines during the standstill: the next-ranked bid is proposed",
    tags=TAGS,
    body=TenderReasonSchema,
    response=TenderSchema,
    errors=(409,),
)
def decline(tender_id: int, lot_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    return TenderSchema().dump(services.decline(user, tender, lot_id, json_body(TenderReasonSchema())["reason"]))


@bp.get("/tenders/<int:tender_id>/trail")
@roles_required(Role.SECRETARY)
@operation(
    "The audit trail: who saw, scored and decided what, when", tags=TAGS, response=page_schema(TenderRecordSchema)
)
def trail(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    items, facts = page_of(services.trail(user, tender))
    return {"items": TenderRecordSchema(many=True).dump(items)} | facts
