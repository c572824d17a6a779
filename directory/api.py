"""The directory over JSON: search and profiles, enquiries, skill categories and the skills register, skills and
gaps, verifications (evidence as base64), and the spend with social enterprises."""

import base64
import binascii

from directory import services
from directory.levels import SkillLevel
from directory.models import Outcome
from directory.schemas import (
    CloseInSchema,
    DirectoryQuerySchema,
    EnquiryInSchema,
    EnquiryQuerySchema,
    EnquirySchema,
    EntrySchema,
    ProfileSchema,
    ReplyInSchema,
    SkillCategoryInSchema,
    SkillCategorySchema,
    SkillInSchema,
    SkillSchema,
    SkillsOverviewSchema,
    SkillsQuerySchema,
    SpendQuerySchema,
    SpendSchema,
    VerificationInSchema,
    VerificationSchema,
)
from kernel.api import api_blueprint, json_body, operation, page_of, page_schema, query_args
from kernel.clock import uk_today
from kernel.errors import ValidationFailed
from organisations.access import consortium_or_404, require_actor, roles_required, signed_in
from organisations.models import Member, Role
from reports import savings
from trading.models import ListingKind

bp = api_blueprint("directory_api", __name__)
TAGS = ["directory"]


def _entries(members: list[Member]) -> list[dict]:
    ids = [m.id for m in members]
    offers = services.offers_of(ids)
    listings = services.listings_of(ids)
    latest = services.latest_verifications(ids)
    today = uk_today()
    return [
        {
            "id": m.id,
            "name": m.name,
            "city": m.organisation.city,
            "postcode": m.organisation.postcode,
            "network": m.network.name,
            "consortium": m.network.consortium.name,
            "verified": bool((v := latest.get(m.id)) and v.verified_on(today)),
            "verified_until": v.expires_on if v and v.verified_on(today) else None,
            "offers": offers.get(m.id, []),
            "listings": listings.get(m.id, []),
        }
        for m in members
    ]


@bp.get("/directory/members")
@signed_in
@operation(
    "Social enterprises in the directory, by text, category, place and verification",
    tags=TAGS,
    query=DirectoryQuerySchema,
    response=page_schema(EntrySchema),
)
def list_entries():
    user = require_actor()
    args = query_args(DirectoryQuerySchema())
    search = services.Search(
        q=args.get("q", ""),
        category_id=args.get("category_id"),
        place=args.get("place", ""),
        verified_only=args["verified"],
        within=args.get("within", ""),
        listing_kind=ListingKind(args["listing_kind"]) if "listing_kind" in args else None,
    )
    members, facts = page_of(services.directory_query(user, search))
    return {"items": EntrySchema(many=True).dump(_entries(members))} | facts


@bp.get("/directory/members/<int:member_id>")
@signed_in
@operation("One listed social enterprise: offers, verification, staff time spare", tags=TAGS, response=ProfileSchema)
def get_profile(member_id: int):
    member = services.listed_member(member_id)
    supplier = services.supplier_of(member)
    spare = [
        {"category": c.name, "spare_hours_per_month": c.spare_hours}
        for c in services.member_coverage(member.id)
        if c.spare_hours
    ]
    profile = _entries([member])[0] | {"description": supplier.description if supplier else None, "spare": spare}
    return ProfileSchema().dump(profile)


@bp.post("/directory/members/<int:member_id>/enquiries")
@signed_in
@operation(
    "Send an enquiry to a listed member; its people are emailed",
    tags=TAGS,
    body=EnquiryInSchema,
    response=EnquirySchema,
    status=201,
    errors=(409,),
)
def send_enquiry(member_id: int):
    user = require_actor()
    member = services.listed_member(member_id)
    data = json_body(EnquiryInSchema())
    return EnquirySchema().dump(services.send_enquiry(user, member, data["subject"], data["body"])), 201


@bp.get("/directory/enquiries")
@signed_in
@operation(
    "Enquiries received by the caller's members, or sent by the caller",
    tags=TAGS,
    query=EnquiryQuerySchema,
    response=page_schema(EnquirySchema),
)
def list_enquiries():
    user = require_actor()
    args = query_args(EnquiryQuerySchema())
    items, facts = page_of(services.enquiries_query(user, args["box"]))
    return {"items": EnquirySchema(many=True).dump(items)} | facts


@bp.get("/directory/enquiries/<int:enquiry_id>")
@signed_in
@operation("One enquiry, to its sender and the member's people", tags=TAGS, response=EnquirySchema)
def get_enquiry(enquiry_id: int):
    return EnquirySchema().dump(services.enquiry_for(require_actor(), enquiry_id))


@bp.post("/directory/enquiries/<int:enquiry_id>/reply")
@signed_in
@operation(
    "Reply to an open enquiry (the member's people); the sender is emailed",
    tags=TAGS,
    body=ReplyInSchema,
    response=EnquirySchema,
    errors=(409,),
)
def reply_enquiry(enquiry_id: int):
    user = require_actor()
    enquiry = services.enquiry_for(user, enquiry_id)
    services.require_member_people(user, enquiry.member)
    data = json_body(ReplyInSchema())
    return EnquirySchema().dump(services.reply(user, enquiry, data["reply"]))


@bp.post("/directory/enquiries/<int:enquiry_id>/close")
@signed_in
@operation(
    "Close an enquiry with its outcome (either side); one never replied to closes as no_reply",
    tags=TAGS,
    body=CloseInSchema,
    response=EnquirySchema,
    errors=(409,),
)
def close_enquiry(enquiry_id: int):
    user = require_actor()
    enquiry = services.enquiry_for(user, enquiry_id)
    data = json_body(CloseInSchema())
    return EnquirySchema().dump(services.close(user, enquiry, Outcome(data["outcome"])))


# Skills


@bp.get("/directory/skill-categories")
@signed_in
@operation("The skill categories skills are recorded against", tags=TAGS, response=page_schema(SkillCategorySchema))
def list_categories():
    items, facts = page_of(services.categories_query(active_only=False))
    return {"items": SkillCategorySchema(many=True).dump(items)} | facts


@bp.post("/directory/skill-categories")
@roles_required(Role.ADMIN)
@operation(
    "Add a skill category (admins)", tags=TAGS, body=SkillCategoryInSchema, response=SkillCategorySchema, status=201
)
def add_category():
    data = json_body(SkillCategoryInSchema())
    category = services.add_category(require_actor(), data["name"], SkillLevel(data["wanted_level"]))
    return SkillCategorySchema().dump(category), 201


@bp.get("/directory/members/<int:member_id>/skills")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation("A member's skills register (its people, its secretary)", tags=TAGS, response=page_schema(SkillSchema))
def list_skills(member_id: int):
    member = services.member_for_skills(require_actor(), member_id)
    items, facts = page_of(services.skills_query(member.id))
    return {"items": SkillSchema(many=True).dump(items)} | facts


@bp.post("/directory/members/<int:member_id>/skills")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "Record one person's skill (the member's people)", tags=TAGS, body=SkillInSchema, response=SkillSchema, status=201
)
def add_skill(member_id: int):
    user = require_actor()
    member = services.member_for_skills(user, member_id)
    services.require_member_people(user, member)
    data = json_body(SkillInSchema())
    skill = services.add_skill(
        user,
        member,
        data["person_name"],
        data["category_id"],
        SkillLevel(data["level"]),
        data["spare_hours_per_month"],
        data["note"],
    )
    return SkillSchema().dump(skill), 201


@bp.delete("/directory/skills/<int:skill_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation("Remove a skill (the member's people)", tags=TAGS, response=SkillSchema)
def remove_skill(skill_id: int):
    user = require_actor()
    skill = services.skill_for(user, skill_id)
    dumped = SkillSchema().dump(skill)
    services.remove_skill(user, skill)
    return dumped


@bp.get("/directory/consortia/<int:consortium_id>/skills")
@roles_required(Role.SECRETARY)
@operation(
    "A consortium's (or one of its networks') skills and gaps by category (its secretary)",
    tags=TAGS,
    query=SkillsQuerySchema,
    response=SkillsOverviewSchema,
)
def consortium_skills(consortium_id: int):
    consortium = consortium_or_404(require_actor(), consortium_id)
    network = services.network_in(consortium.id, query_args(SkillsQuerySchema()).get("network_id"))
    network_id = network.id if network else None
    return SkillsOverviewSchema().dump(
        {
            "consortium_id": consortium.id,
            "network_id": network_id,
            "categories": services.skills_coverage(consortium.id, network_id),
        }
    )


@bp.get("/directory/skills")
@roles_required(Role.ADMIN)
@operation("The platform's skills and gaps by category (admins)", tags=TAGS, response=SkillsOverviewSchema)
def platform_skills():
    return SkillsOverviewSchema().dump(
        {"consortium_id": None, "network_id": None, "categories": services.skills_coverage(None)}
    )


# Verification


@bp.get("/directory/members/<int:member_id>/verifications")
@roles_required(Role.SECRETARY)
@operation(
    "A member's social-enterprise checks, latest first (its consortium's secretary)",
    tags=TAGS,
    response=page_schema(VerificationSchema),
)
def list_verifications(member_id: int):
    member = services.member_to_verify(require_actor(), member_id)
    items, facts = page_of(services.verifications_query(member))
    return {"items": VerificationSchema(many=True).dump(items)} | facts


@bp.post("/directory/members/<int:member_id>/verifications")
@roles_required(Role.SECRETARY)
@operation(
    "Record a check of the criteria with evidence and an expiry (its consortium's secretary)",
    tags=TAGS,
    body=VerificationInSchema,
    response=VerificationSchema,
    status=201,
)
def verify(member_id: int):
    user = require_actor()
    member = services.member_to_verify(user, member_id)
    data = json_body(VerificationInSchema())
    document = None
    if data["document_base64"] is not None:
        try:
            document = base64.b64decode(data["document_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed.field("document_base64", "Not valid base64.") from None
    check = services.Check(
        data["asset_lock"],
        data["mission"],
        data["reinvestment"],
        data["evidence_note"],
        data["expires_on"],
        document,
        data["document_name"],
    )
    return VerificationSchema().dump(services.verify(user, member, check)), 201


# Spend with social enterprises


def _spend(kind: str, scope_id: int | None) -> dict:
    scope = savings.scope_for(require_actor(), kind, scope_id)
    args = query_args(SpendQuerySchema())
    report = services.spend_report(scope, args["rows_page"], args["suppliers_page"], args["per_page"])
    return SpendSchema().dump(report)


_PAGED = "; its rows and suppliers a page of each at a time"


@bp.get("/directory/spend/platform")
@roles_required(Role.ADMIN)
@operation(
    "Spend with social enterprises across the platform, by consortium" + _PAGED,
    tags=TAGS,
    query=SpendQuerySchema,
    response=SpendSchema,
)
def spend_platform():
    return _spend("platform", None)


@bp.get("/directory/spend/consortium/<int:consortium_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "A consortium's spend with social enterprises, by member (its secretary)" + _PAGED,
    tags=TAGS,
    query=SpendQuerySchema,
    response=SpendSchema,
)
def spend_consortium(consortium_id: int):
    return _spend("consortium", consortium_id)


@bp.get("/directory/spend/network/<int:network_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "A network's spend with social enterprises, by member (its secretary)" + _PAGED,
    tags=TAGS,
    query=SpendQuerySchema,
    response=SpendSchema,
)
def spend_network(network_id: int):
    return _spend("network", network_id)


@bp.get("/directory/spend/member/<int:member_id>")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation("A member's spend with social enterprises" + _PAGED, tags=TAGS, query=SpendQuerySchema, response=SpendSchema)
def spend_member(member_id: int):
    return _spend("member", member_id)
