"""Forms for opening pools and pledging, for purchase orders, the supplier's demand filters and pool prices."""

from wtforms import BooleanField, DateTimeLocalField, FieldList, FormField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalogue.forms import BLANK_TIER_ROWS, TierForm
from catalogue.pricing import Tier
from kernel.web import Form
from orders.services import MAX_QUANTITY, MAX_SOLIDARITY_PERCENT
from organisations.forms import FiniteDecimalField, MoneyField
from pools.forms import offer_and_consortia_fields


class PoolForm(Form):
    offer_id, consortium_ids = offer_and_consortia_fields(
        "Offer", "Choose several (admins only) for a national pool: their demand counts together toward the tier."
    )
    deadline = DateTimeLocalField("Deadline (UK time)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    minimum_quantity = IntegerField(
        "Minimum total quantity to proceed",
        validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)],
        description="Leave empty for the offer's minimum order quantity.",
    )
    capacity = IntegerField(
        "Capacity",
        validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)],
        description="The most units the pool takes; empty for no limit.",
    )
    delivery_charge = MoneyField(
        "Delivery charge to share (£)", default=0, validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    note = TextAreaField("Note to members", validators=[Optional(), Length(max=2000)])
    solidarity_rate = FiniteDecimalField(
        "Solidarity rate (%)",
        places=2,
        default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_SOLIDARITY_PERCENT)],
        description="Members in the top turnover band pay this on their goods, returned as a discount to the "
        "lowest band; the total invoiced is unchanged. 0 for none.",
    )


class DraftPoolForm(Form):
    """A draft's terms: the creation form's fields but the offer and consortia, which make it another pool."""

    deadline = PoolForm.deadline
    minimum_quantity = PoolForm.minimum_quantity
    capacity = PoolForm.capacity
    delivery_charge = PoolForm.delivery_charge
    note = PoolForm.note
    solidarity_rate = PoolForm.solidarity_rate


class PledgeForm(Form):
    member_id = SelectField("Pledge for", coerce=int, validators=[InputRequired()])
    quantity = IntegerField(
        "Quantity",
        validators=[InputRequired(message="Enter a whole number of units."), NumberRange(min=1, max=MAX_QUANTITY)],
    )
    flexible_extra = IntegerField(
        "Flexible extra you would accept",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        description="Extra units you would take so that the last pack can be filled.",
    )


class DeliveryForm(Form):
    """Only the CSRF token: delivered units are one box per member, named delivered-<member id>."""


class CancelOrderForm(Form):
    reason = TextAreaField(
        "Reason", validators=[InputRequired(), Length(max=500)], description="The supplier sees this on the order."
    )


class DemandFilterForm(Form):
    """The demand dashboard's filters, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    offer_id = SelectField("Offer", validators=[Optional()])
    about_to_tip = BooleanField("Only open pools about to tip")


class PoolTiersForm(Form):
    """A supplier's new tiers for one open pool: the rows it holds, with blank rows to add more."""

    tiers = FieldList(FormField(TierForm), min_entries=BLANK_TIER_ROWS)

    def show(self, tiers: list[Tier]) -> None:
        """Fills the rows with the pool's tiers, then blank rows to add more."""
        for _ in range(len(self.tiers)):
            self.tiers.pop_entry()
        for tier in tiers:
            self.tiers.append_entry({"min_quantity": tier.min_quantity, "unit_price": tier.unit_price})
        for _ in range(BLANK_TIER_ROWS):
            self.tiers.append_entry()

    def tier_rows(self) -> list[dict]:
        """The rows as the services take them; blank rows left out."""
        return [
            {"min_quantity": row.min_quantity.data, "unit_price": row.unit_price.data}
            for row in self.tiers
            if not row.form.is_blank
        ]
