"""Forms of trading: a listing, its slots, a booking request, a reason, a dispute's ruling, terms, a clearing."""

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalogue.models import VatRate
from kernel.web import Form
from trading.models import HoursPeriod, ListingKind
from trading.photos import KINDS, MAX_BYTES
from trading.services import ALT_MAX, DESCRIPTION_MAX, HOURS_MAX, NOTE_MAX, TITLE_MAX

MONEY = [NumberRange(min=0, max=99_999_999, message="A price is £0 (free) or more.")]


class ListingForm(Form):
    member_id = SelectField("Offered by", coerce=int, validators=[InputRequired()])
    kind = SelectField(
        "What you offer", choices=[SelectChoice(k.value, k.label) for k in ListingKind], validators=[InputRequired()]
    )
    title = StringField("Title", validators=[InputRequired(message="Give the listing a title."), Length(max=TITLE_MAX)])
    description = TextAreaField(
        "Description",
        validators=[InputRequired(message="Describe what you offer."), Length(max=DESCRIPTION_MAX)],
        description="What it is, where, what is included, and anything a member should bring or know.",
    )
    skill = StringField(
        "Skill", validators=[Optional(), Length(max=TITLE_MAX)], description="For staff time: the skill it brings."
    )
    member_price = DecimalField(
        "Price to members (£)",
        places=2,
        validators=[InputRequired(message="Enter a price; 0 for free."), *MONEY],
        description="Per slot for rooms and equipment, per hour otherwise; before VAT.",
    )
    public_price = DecimalField("Public price (£)", places=2, validators=[Optional(), *MONEY])
    vat_rate = SelectField(
        "VAT rate",
        choices=[SelectChoice(r.value, r.label) for r in VatRate],
        default=VatRate.STANDARD.value,
        description="Charged only if your organisation is VAT registered.",
    )
    hours_available = IntegerField(
        "Hours available",
        validators=[Optional(), NumberRange(min=1, max=HOURS_MAX)],
        description="For staff time, workshop capacity and services.",
    )
    hours_period = SelectField(
        "Hours per", choices=[SelectChoice(p.value, p.value) for p in HoursPeriod], default=HoursPeriod.WEEK.value
    )
    free_cancel_days = IntegerField(
        "Free cancellation until (days before)", default=2, validators=[InputRequired(), NumberRange(min=0, max=365)]
    )
    cancel_fee_percent = IntegerField(
        "Fee for a later cancellation (%)", default=0, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    photo = FileField(
        "Photo", description=f"Optional: a {KINDS} image up to {MAX_BYTES // (1024 * 1024)} MB. Add more later."
    )
    alt_text = StringField(
        "What the photo shows",
        validators=[Optional(), Length(max=ALT_MAX)],
        description="Read out to members who cannot see it: 'Meeting room with a table for eight'.",
    )


class PhotoForm(Form):
    photo = FileField(
        "Photo",
        validators=[FileRequired(message="Choose a photo to upload.")],
        description=f"A {KINDS} image up to {MAX_BYTES // (1024 * 1024)} MB.",
    )
    alt_text = StringField(
        "What the photo shows",
        validators=[InputRequired(message="Say what the photo shows."), Length(max=ALT_MAX)],
        description="Read out to members who cannot see it.",
    )


class LimitForm(Form):
    member_id = SelectField("Member", coerce=int, validators=[InputRequired()])
    limit = DecimalField(
        "Its own net debit limit (£)",
        places=2,
        validators=[Optional(), *MONEY],
        description="Empty: the consortium's limit applies.",
    )


class SlotForm(Form):
    day = DateField("Day", validators=[InputRequired(message="Choose the day.")])
    starts = TimeField("From", validators=[InputRequired(message="Enter the start time.")])
    ends = TimeField("Until", validators=[InputRequired(message="Enter the end time.")])


class BookingForm(Form):
    buyer_id = SelectField("Booking for", coerce=int, validators=[InputRequired()])
    slot_ids = SelectMultipleField(
        "Slots", coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    hours = IntegerField("Hours", validators=[Optional(), NumberRange(min=1, max=HOURS_MAX)])
    starts_on = DateField("From", validators=[Optional()])
    pay_directly = BooleanField("We will pay the seller directly, outside clearing")
    note = TextAreaField("Note to the seller", validators=[Optional(), Length(max=NOTE_MAX)])


class ReasonForm(Form):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=NOTE_MAX)])


class ResolveForm(Form):
    outcome = SelectField(
        "Ruling",
        choices=[
            SelectChoice("delivered", "Delivered: the seller invoices"),
            SelectChoice("cancelled", "Cancelled: no fee"),
        ],
        validators=[InputRequired()],
    )
    reason = TextAreaField("How it was resolved", validators=[InputRequired(), Length(max=NOTE_MAX)])


class TermsForm(Form):
    approval_required = BooleanField("Listings wait for the secretary's approval before they show")
    listing_days = IntegerField(
        "Listings lapse after (days) unless renewed", default=90, validators=[InputRequired(), NumberRange(1, 730)]
    )
    monthly_limit = IntegerField(
        "Bookings of one listing per member per month",
        validators=[Optional(), NumberRange(1, 1000)],
        description="Empty: no limit.",
    )
    clearing = BooleanField("Clear members' trade monthly by netting")
    net_debit_limit = DecimalField(
        "Net debit limit per member (£)",
        places=2,
        validators=[Optional(), *MONEY],
        description="A member further in debit books only by paying directly. Empty: no limit.",
    )


class ClearingForm(Form):
    month = SelectField("Month", validators=[InputRequired()])
