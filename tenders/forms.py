"""Forms for starting a tender, asking and answering, bidding, naming evaluators, scoring and cancelling."""

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalogue.enums import VatRate
from catalogue.forms import TierForm
from frameworks.services import MAX_CEILING_PENCE
from frameworks.services import MAX_QUANTITY as MAX_CALL_OFF
from kernel.lifecycle import REASON_MAX
from kernel.web import Form
from organisations.forms import FiniteDecimalField, MoneyField
from tenders.services import MAX_MINIMUM_BIDS, MAX_QUANTITY, MAX_STANDSTILL_DAYS, TEXT_MAX

BID_TIER_ROWS = 6


class TenderForm(Form):
    """One lot: from a pool's forecast, or typed in (a shared-service requirement, say); the API takes several."""

    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    consortium_id = SelectField("Consortium", coerce=int, validators=[InputRequired()])
    category_id = SelectField("Category", coerce=int, validators=[InputRequired()])
    specification = TextAreaField("Specification", validators=[InputRequired(), Length(max=TEXT_MAX)])
    pool_id = SelectField(
        "Forecast from a pool",
        coerce=int,
        validators=[Optional()],
        description="An open or draft pool: its pledges (a draft's minimum) are the forecast, and the award "
        "becomes its offer and tiers. Choose none to describe the lot below.",
    )
    lot_name = StringField(
        "Lot", validators=[Optional(), Length(max=200)], description="Without a pool: what is bought."
    )
    lot_unit = StringField("Unit", validators=[Optional(), Length(max=30)], description="Without a pool: hour, ream...")
    forecast_quantity = IntegerField("Forecast quantity", validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)])
    vat_rate = SelectField(
        "VAT rate", choices=[SelectChoice(rate.value, rate.label) for rate in VatRate], default="standard"
    )
    price_weight = IntegerField("Price weight (%)", default=60, validators=[InputRequired(), NumberRange(0, 100)])
    quality_weight = IntegerField("Quality weight (%)", default=40, validators=[InputRequired(), NumberRange(0, 100)])
    social_weight = IntegerField(
        "Buy-social weight (%)",
        default=0,
        validators=[InputRequired(), NumberRange(0, 100)],
        description="Points for bids from social enterprises; the three weights add up to 100.",
    )
    quality_questions = TextAreaField(
        "Quality questions",
        validators=[Optional(), Length(max=TEXT_MAX)],
        description="One a line; bidders answer each.",
    )
    clarification_deadline = DateTimeLocalField(
        "Questions close (UK time)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    submission_deadline = DateTimeLocalField(
        "Bids close (UK time)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    minimum_valid_bids = IntegerField(
        "Minimum valid bids per lot", default=2, validators=[InputRequired(), NumberRange(1, MAX_MINIMUM_BIDS)]
    )
    standstill_days = IntegerField(
        "Standstill (days)", default=10, validators=[InputRequired(), NumberRange(0, MAX_STANDSTILL_DAYS)]
    )
    open_to_all = BooleanField("Open to every supplier with an offer in the category")
    supplier_ids = SelectMultipleField(
        "Invite suppliers",
        coerce=int,
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class BidForm(Form):
    tiers = FieldList(FormField(TierForm), min_entries=BID_TIER_ROWS)
    delivery_charge = MoneyField("Delivery charge (£)", default=0, validators=[Optional(), NumberRange(0, 1_000_000)])
    lead_time_days = IntegerField("Lead time (days)", default=0, validators=[InputRequired(), NumberRange(0, 365)])
    answers = FieldList(TextAreaField("Answer", validators=[InputRequired(), Length(max=TEXT_MAX)]))


class QuestionForm(Form):
    question = TextAreaField("Your question", validators=[InputRequired(), Length(max=TEXT_MAX)])


class AnswerForm(Form):
    answer = TextAreaField("Answer, published to every bidder", validators=[InputRequired(), Length(max=TEXT_MAX)])


class ScoreForm(Form):
    quality = IntegerField("Quality score (0 to 100)", validators=[InputRequired(), NumberRange(0, 100)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=TEXT_MAX)])


class ReasonForm(Form):
    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=REASON_MAX)])


class FrameworkAwardForm(Form):
    """The terms a framework made from the winning bids adds to them."""

    name = StringField("Framework name", validators=[InputRequired(), Length(max=200)])
    starts_on = DateField("Starts on", validators=[InputRequired()])
    ends_on = DateField("Ends on", validators=[InputRequired()])
    ceiling = MoneyField(
        "Value ceiling (£)",
        validators=[InputRequired(), NumberRange(min=0.01, max=MAX_CEILING_PENCE / 100)],
        description="Filled in with the winning bids' cost at 25% above the forecast.",
    )
    allowance_percent = FiniteDecimalField(
        "Allowance over the ceiling (%)", places=2, default=0, validators=[InputRequired(), NumberRange(0, 100)]
    )
    fee_percent = FiniteDecimalField(
        "Management fee (% of call-off net value)",
        places=2,
        default=0,
        validators=[InputRequired(), NumberRange(0, 100)],
    )
    route = SelectField(
        "Route",
        choices=[
            SelectChoice("direct_award", "Direct award at the winning prices"),
            SelectChoice("mini_competition", "Mini-competition among the winners for each call-off"),
        ],
        validators=[InputRequired()],
    )


class MiniCompetitionForm(Form):
    """A call-off need put to the framework's suppliers: the tender's deadlines, weights and standstill."""

    lot_id = SelectField("Lot", coerce=int, validators=[InputRequired()])
    member_id = SelectField("For member", coerce=int, validators=[InputRequired()])
    quantity = IntegerField("Quantity", validators=[InputRequired(), NumberRange(min=1, max=MAX_CALL_OFF)])
    category_id = SelectField("Category", coerce=int, validators=[InputRequired()])
    specification = TextAreaField("What is needed", validators=[InputRequired(), Length(max=TEXT_MAX)])
    clarification_deadline = DateTimeLocalField(
        "Questions close (UK time)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    submission_deadline = DateTimeLocalField(
        "Bids close (UK time)", format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    price_weight = IntegerField("Price weight (%)", default=100, validators=[InputRequired(), NumberRange(0, 100)])
    quality_weight = IntegerField(
        "Quality weight (%)",
        default=0,
        validators=[InputRequired(), NumberRange(0, 100)],
        description="With quality weighed, name two or more evaluators before the bids are scored.",
    )
    minimum_valid_bids = IntegerField(
        "Minimum valid bids", default=1, validators=[InputRequired(), NumberRange(1, MAX_MINIMUM_BIDS)]
    )
    standstill_days = IntegerField(
        "Standstill (days)", default=0, validators=[InputRequired(), NumberRange(0, MAX_STANDSTILL_DAYS)]
    )
