"""Operations on the catalogue: suppliers keep their offers and price tiers; everyone searches.

Services take the acting user explicitly, change models and flush; the caller commits.
Every rule about an offer lives here, so the HTML forms and the JSON API agree.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, or_, select

from catalogue import pricing
from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel import words
from kernel.errors import NotFound, ValidationFailed
from kernel.extensions import db
from organisations.access import can_act_for_supplier
from organisations.models import Organisation, Supplier, User

MAX_PRICE = Decimal("99999999.9999")  # what Numeric(12, 4) holds
MAX_PACK_SIZE = 100_000
MAX_QUANTITY = 1_000_000_000
MAX_LEAD_TIME_DAYS = 365
TEXT_LIMITS = {"name": 200, "unit": 30, "unit_plural": 40, "description": 5000}
OPTIONAL_TEXT = ("description", "unit_plural")


# Categories


def categories_in_order() -> Select[Category]:
    return select(Category).order_by(Category.position, Category.name, Category.id)


def list_categories() -> list[Category]:
    return list(db.session.scalars(categories_in_order()))


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def resolve_category(value: Any) -> Category | None:
    """A category from its id (int or digits) or its slug; None when there is no such category."""
    if isinstance(value, Category):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return db.session.get(Category, value)
    if isinstance(value, str) and value.strip():
        value = value.strip()
        is_id = value.isascii() and value.isdigit() and len(value) <= 9  # "²" is a digit; ids fit in 32 bits
        return db.session.get(Category, int(value)) if is_id else category_by_slug(value)
    return None


def active_suppliers() -> Select:
    """Active suppliers by name, for the catalogue's supplier filter (it searches `Organisation.legal_name`)."""
    return (
        select(Supplier)
        .join(Organisation, Supplier.organisation_id == Organisation.id)
        .where(Supplier.active.is_(True))
        .order_by(Organisation.legal_name, Supplier.id)
    )


# Reading offers


def tiers_of(offer: Offer) -> list[pricing.Tier]:
    """The offer's current tiers as pure values, lowest quantity first."""
    return [pricing.Tier(t.min_quantity, t.unit_price) for t in sorted(offer.tiers, key=lambda t: t.min_quantity)]


def best_price(offer: Offer) -> Decimal:
    """The lowest unit price any quantity earns: the last tier's, or the list price."""
    return pricing.unit_price(tiers_of(offer), MAX_QUANTITY, offer.list_price)


def supplier_for(actor: User, supplier_id: int) -> Supplier:
    """A supplier the actor keeps the catalogue of; anyone else's answers 404."""
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or not can_act_for_supplier(actor, supplier.id):
        raise NotFound("There is no such supplier among yours.")
    return supplier


def get_offer(offer_id: int) -> Offer:
    """Any offer, withdrawn ones included: their pages say so, and pools may still point at them."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("There is no such offer.")
    return offer


def can_keep(actor: User, offer: Offer) -> bool:
    """Whether the actor may change the offer: a user of its supplier, or an admin."""
    return can_act_for_supplier(actor, offer.supplier_id)


def offer_for_supplier(actor: User, offer_id: int) -> Offer:
    """An offer the actor may change: one of their own supplier's (or any, for an admin)."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or not can_act_for_supplier(actor, offer.supplier_id):
        raise NotFound("There is no such offer among yours.")
    return offer


def _contains(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def search_offers(
    actor: User,
    *,
    category: Category | None = None,
    supplier_id: int | None = None,
    q: str | None = None,
    buy_social: bool | None = None,
    include_withdrawn: bool = False,
) -> Select:
    """Offers matching every filter given, in category then name order.

    Withdrawn offers (and offers of deactivated suppliers) are left out, except on a
    supplier's own list: `include_withdrawn` counts only with a `supplier_id` the actor
    acts for. `buy_social` True keeps social enterprises' offers, False the others'.
    """
    query = (
        select(Offer)
        .join(Supplier, Offer.supplier_id == Supplier.id)
        .join(Organisation, Supplier.organisation_id == Organisation.id)
        .join(Category, Offer.category_id == Category.id)
    )
    own_list = include_withdrawn and supplier_id is not None and can_act_for_supplier(actor, supplier_id)
    if not own_list:
        query = query.where(Offer.active.is_(True), Supplier.active.is_(True))
    if category is not None:
        query = query.where(Offer.category_id == category.id)
    if supplier_id is not None:
        query = query.where(Offer.supplier_id == supplier_id)
    if buy_social is not None:
        query = query.where(Organisation.is_social_enterprise.is_(buy_social))
    text = (q or "").strip()
    if text:
        query = query.where(
            or_(
                _contains(Offer.name, text),
                _contains(Offer.description, text),
                _contains(Organisation.legal_name, text),
            )
        )
    return query.order_by(Category.position, Offer.name, Offer.id)


# Changing offers


def create_offer(actor: User, supplier_id: int, data: Mapping[str, Any]) -> Offer:
    """A new active offer for one of the actor's suppliers; `tiers` may be empty."""
    supplier = supplier_for(actor, supplier_id)
    missing = {
        name: ["Required."]
        for name in ("name", "category", "unit", "vat_rate", "list_price")
        if data.get(name) in (None, "")
    }
    if missing:
        raise ValidationFailed("Some required fields are missing.", missing)
    offer = Offer(supplier=supplier, active=True, pack_size=1, minimum_order_quantity=1, lead_time_days=0)
    _apply(offer, {"tiers": []} | dict(data))
    db.session.add(offer)
    db.session.flush()
    return offer


def update_offer(actor: User, offer: Offer, data: Mapping[str, Any]) -> Offer:
    """Changes the fields given; `tiers`, when given, replace all the offer's tiers.

    Pools keep the prices they opened with (orders copies them as a pool opens), so this never alters an open one.
    """
    if not can_act_for_supplier(actor, offer.supplier_id):
        raise NotFound("There is no such offer among yours.")
    _apply(offer, data)
    if "active" in data and data["active"] is not None:
        offer.active = bool(data["active"])
    db.session.flush()
    return offer


def set_active(actor: User, offer: Offer, active: bool) -> Offer:
    """Withdraws an offer from the catalogue (False) or puts it back (True)."""
    return update_offer(actor, offer, {"active": active})


def withdraw_offer(actor: User, offer: Offer) -> Offer:
    return set_active(actor, offer, False)


def reactivate_offer(actor: User, offer: Offer) -> Offer:
    return set_active(actor, offer, True)


def _apply(offer: Offer, data: Mapping[str, Any]) -> None:
    """Checks every field given, then sets them all; nothing changes if any is wrong."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, limit in TEXT_LIMITS.items():
        if name not in data:
            continue
        text = (data[name] or "").strip()
        if not text and name not in OPTIONAL_TEXT:
            fail(name, "Required.")
        elif len(text) > limit:
            fail(name, f"At most {limit} characters.")
        else:
            values[name] = text or None
    _unit_words(values)
    if "category" in data:
        category = resolve_category(data["category"])
        if category is None:
            fail("category", "There is no such category.")
        else:
            values["category"] = category
    if "vat_rate" in data:
        try:
            values["vat_rate"] = VatRate(data["vat_rate"])
        except ValueError:
            fail("vat_rate", "Choose one of: " + ", ".join(r.value for r in VatRate) + ".")
    if "list_price" in data:
        price, problem = _price(data["list_price"])
        if problem:
            fail("list_price", problem)
        else:
            values["list_price"] = price
    for name, low, high in (
        ("pack_size", 1, MAX_PACK_SIZE),
        ("minimum_order_quantity", 1, MAX_QUANTITY),
        ("lead_time_days", 0, MAX_LEAD_TIME_DAYS),
    ):
        if name in data:
            number, problem = _whole(data[name], low, high)
            if problem:
                fail(name, problem)
            else:
                values[name] = number

    tiers_given = "tiers" in data and data["tiers"] is not None
    if tiers_given:
        tiers, problems = read_tiers(data["tiers"])
        for problem in problems:
            fail("tiers", problem)
    else:
        tiers = tiers_of(offer)
    list_price = values.get("list_price", offer.list_price)
    if not errors and list_price is not None:
        for problem in pricing.validate_tiers(list_price, tiers):
            fail("tiers" if tiers_given else "list_price", problem)
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)

    for name, value in values.items():
        setattr(offer, name, value)
    if tiers_given:
        _replace_tiers(offer, tiers)


def _unit_words(values: dict[str, Any]) -> None:
    """A unit given without its plural gets the usual one; a unit that counts itself ("1,000 leaflets") becomes
    a pack of it, so a quantity never reads "6 1,000 leaflets"."""
    if values.get("unit_plural") is None:
        values.pop("unit_plural", None)
        if "unit" in values:
            singular, plural = words.default_units(values["unit"])
            fits = len(singular) <= TEXT_LIMITS["unit"] and len(plural) <= TEXT_LIMITS["unit_plural"]
            values["unit"], values["unit_plural"] = (singular, plural) if fits else (values["unit"], values["unit"])


def _replace_tiers(offer: Offer, tiers: list[pricing.Tier]) -> None:
    """Old rows go before new ones are added, so a kept quantity never meets itself in the unique key."""
    if offer.tiers:
        offer.tiers.clear()
        db.session.flush()
    offer.tiers.extend(PriceTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in tiers)


def _price(value: Any) -> tuple[Decimal | None, str | None]:
    if isinstance(value, (float, bool)):
        return None, 'Give the price as a decimal string, e.g. "3.1500".'
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, "Enter a price in pounds, e.g. 3.15."
    if not price.is_finite():
        return None, "Enter a price in pounds, e.g. 3.15."
    if price <= 0:
        return None, "Must be more than zero."
    if price > MAX_PRICE:
        return None, f"At most {MAX_PRICE}."
    if price != price.quantize(Decimal("0.0001")):
        return None, "At most 4 decimal places."
    return price.quantize(Decimal("0.0001")), None


def _whole(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        else:
            return None, "Enter a whole number."
    if not low <= value <= high:
        return None, f"Must be from {low:,} to {high:,}."
    return value, None


def read_tiers(rows: Iterable[Any]) -> tuple[list[pricing.Tier], list[str]]:
    """Rows as Tier values or mappings of min_quantity and unit_price, sorted by quantity."""
    tiers, problems = [], []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, pricing.Tier):
            row = {"min_quantity": row.min_quantity, "unit_price": row.unit_price}
        if not isinstance(row, Mapping):
            problems.append(f"Tier {number}: give a quantity and a unit price.")
            continue
        quantity, quantity_problem = _whole(row.get("min_quantity"), 1, MAX_QUANTITY)
        price, price_problem = _price(row.get("unit_price"))
        if quantity_problem:
            problems.append(f"Tier {number} quantity: {quantity_problem}")
        if price_problem:
            problems.append(f"Tier {number} unit price: {price_problem}")
        if quantity is not None and price is not None:  # both are None exactly when they have a problem
            tiers.append(pricing.Tier(quantity, price))
    return sorted(tiers, key=lambda t: t.min_quantity), problems
