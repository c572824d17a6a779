"""Forms for opening shared-service pools, joining and leaving them."""

from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from kernel.web import Form
from organisations.forms import MoneyField
from pools.forms import offer_and_consortia_fields
from shared_services.models import AllocationKey, PeriodLength
from shared_services.services import MAX_NOTICE, MAX_PARTICIPANTS, MAX_TERM, MAX_UNITS


class ServicePoolForm(Form):
    offer_id, consortium_ids = offer_and_consortia_fields(
        "Service offer", "Choose several (admins only) for a national pool; each consortium invoices its own members."
    )
    cost_per_period = MoneyField(
        "Cost per period, before VAT (£)",
        validators=[InputRequired(message="Enter the cost per period."), NumberRange(min=0.01, max=1_000_000)],
    )
    period = SelectField("Period", validators=[InputRequired()])
    term_periods = IntegerField(
        "Term (number of periods)", validators=[InputRequired(), NumberRange(min=1, max=MAX_TERM)]
    )
    start_date = DateField(
        "Start date",
        validators=[InputRequired(message="Enter the date the service starts.")],
        description="The first of a month; members join until then.",
    )
    minimum_participants = IntegerField(
        "Minimum members",
        default=2,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_PARTICIPANTS)],
        description="Fewer at the start and the pool is cancelled; members are told.",
    )
    allocation_key = SelectField("Split the cost", validators=[InputRequired()])
    notice_periods = IntegerField(
        "Notice to leave (periods)", default=1, validators=[InputRequired(), NumberRange(min=0, max=MAX_NOTICE)]
    )
    note = TextAreaField("Note to members", validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set after construction, as the other forms' choices are.
        self.period.choices = [SelectChoice(p.value, p.value.capitalize()) for p in PeriodLength]
        self.allocation_key.choices = [SelectChoice(k.value, k.label.capitalize()) for k in AllocationKey]


class JoinForm(Form):
    member_id = SelectField("Join for", coerce=int, validators=[InputRequired()])
    units = IntegerField("Units to pledge", validators=[Optional(), NumberRange(min=1, max=MAX_UNITS)])


class LeaveForm(Form):
    member_id = SelectField("Leave for", coerce=int, validators=[InputRequired()])
    after_period = IntegerField(
        "Leave after period",
        validators=[Optional(), NumberRange(min=0, max=MAX_TERM)],
        description="Empty for the earliest the notice allows.",
    )
