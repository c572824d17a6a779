"""The catalogue's JSON endpoints: categories and offers; suppliers keep their own offers."""

from catalogue import services
from catalogue.schemas import (
    CategorySchema,
    OfferCreateSchema,
    OfferQuerySchema,
    OfferSchema,
    OfferUpdateSchema,
)
from kernel.api import api_blueprint, json_body, operation, page_schema, paginated, query_args
from kernel.errors import ValidationFailed
from organisations.access import require_actor, roles_required, signed_in
from organisations.models import Role

bp = api_blueprint("catalogue_api", __name__)


@bp.get("/categories")
@operation("The catalogue's categories, in order", tags=["catalogue"], response=page_schema(CategorySchema))
@signed_in
def categories():
    return paginated(services.categories_in_order(), CategorySchema())


@bp.get("/offers")
@operation(
    "Search the catalogue's offers", tags=["catalogue"], query=OfferQuerySchema, response=page_schema(OfferSchema)
)
@signed_in
def offers():
    args = query_args(OfferQuerySchema())
    category = None
    if args.get("category"):
        category = services.resolve_category(args["category"])
        if category is None:
            raise ValidationFailed.field("category", "There is no such category.")
    query = services.search_offers(
        require_actor(),
        category=category,
        supplier_id=args.get("supplier"),
        q=args.get("q"),
        buy_social=args.get("buy_social"),
        include_withdrawn=args["include_withdrawn"],
    )
    return paginated(query, OfferSchema())


@bp.get("/offers/<int:offer_id>")
@operation("One offer with its price tiers", tags=["catalogue"], response=OfferSchema)
@signed_in
def offer(offer_id: int):
    return OfferSchema().dump(services.get_offer(offer_id))


@bp.post("/offers")
@operation(
    "Add an offer to one of your suppliers' catalogues",
    tags=["catalogue"],
    body=OfferCreateSchema,
    response=OfferSchema,
    status=201,
    errors=(403, 404),
)
@roles_required(Role.SUPPLIER)
def create_offer():
    user = require_actor()
    data = json_body(OfferCreateSchema())
    supplier_id = data.pop("supplier_id", None)
    if supplier_id is None:
        if len(user.supplier_ids) != 1:
            raise ValidationFailed.field("supplier_id", "Say which supplier the offer belongs to.")
        (supplier_id,) = user.supplier_ids
    return OfferSchema().dump(services.create_offer(user, supplier_id, data)), 201


@bp.patch("/offers/<int:offer_id>")
@operation(
    "Change one of your offers; tiers, when given, replace them all",
    tags=["catalogue"],
    body=OfferUpdateSchema,
    response=OfferSchema,
    errors=(403,),
)
@roles_required(Role.SUPPLIER)
def update_offer(offer_id: int):
    user = require_actor()
    offer_ = services.offer_for_supplier(user, offer_id)
    data = json_body(OfferUpdateSchema())
    return OfferSchema().dump(services.update_offer(user, offer_, data))
