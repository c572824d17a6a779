"""Forms for rebate agreements: terms and tiers, the retention members set, the rebate received."""

from decimal import Decimal, InvalidOperation

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from kernel.money import to_pence
from kernel.web import Form
from organisations.forms import FiniteDecimalField, MoneyField
from rebates.calculation import Basis, Method, Tier
from rebates.models import ShareRoute
from rebates.services import MAX_TIERS

TIERS_HINT = (
    "One tier a line: the threshold, a comma, the rate. On spend: from £ spent, percent (“10000, 2.5”). "
    "On units: from units, pence per unit (“500, 12”)."
)


def parse_tiers(text: str, basis: Basis) -> list[Tier]:
    """The tiers typed one a line; thresholds on spend are typed in pounds and kept in pence."""
    tiers = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = [part.strip().removeprefix("£").replace(",", "") for part in line.rsplit(",", 1)]
        if len(parts) != 2:
            raise ValidationError(f"Line {number}: write the threshold, a comma, then the rate.")
        try:
            threshold, rate = Decimal(parts[0]), Decimal(parts[1].removesuffix("%").removesuffix("p"))
        except InvalidOperation:
            raise ValidationError(f"Line {number}: the threshold and the rate are numbers.") from None
        if not (threshold.is_finite() and rate.is_finite()) or threshold < 0 or threshold > 10**9:
            raise ValidationError(f"Line {number}: the threshold is out of range.")
        if basis is Basis.SPEND:
            whole = to_pence(threshold)
        elif threshold == threshold.to_integral_value():
            whole = int(threshold)
        else:
            raise ValidationError(f"Line {number}: units are whole numbers.")
        tiers.append(Tier(whole, rate))
    if len(tiers) > MAX_TIERS:
        raise ValidationError(f"Give at most {MAX_TIERS} tiers.")
    return tiers


class AgreementForm(Form):
    name = StringField("Name", validators=[InputRequired(message="Name the agreement."), Length(max=200)])
    supplier_id = SelectField("Supplier", coerce=int, validators=[InputRequired()])
    consortium_id = SelectField(
        "Consortium", validators=[Optional()], description="Admins may leave it empty for a national agreement."
    )
    network_id = SelectField("Only one network", validators=[Optional()])
    category_id = SelectField("Only one category", validators=[Optional()])
    basis = SelectField(
        "Counted on",
        choices=[SelectChoice(Basis.SPEND.value, "net spend"), SelectChoice(Basis.UNITS.value, "units")],
        validators=[InputRequired()],
    )
    method = SelectField(
        "Tiers apply",
        choices=[
            SelectChoice(Method.RETROSPECTIVE.value, "retrospectively: the whole period at the tier reached"),
            SelectChoice(Method.GRADUATED.value, "graduated: each band at its own rate"),
        ],
        validators=[InputRequired()],
    )
    period_start = DateField("Period starts", validators=[InputRequired(message="Enter the first day.")])
    period_end = DateField("Period ends", validators=[InputRequired(message="Enter the last day.")])
    tiers = TextAreaField(
        "Tiers", validators=[InputRequired(message="Give at least one tier.")], description=TIERS_HINT
    )
    share_route = SelectField(
        "Share it back by",
        choices=[SelectChoice(r.value, r.label) for r in ShareRoute],
        validators=[InputRequired()],
    )
    retention_percent = FiniteDecimalField(
        "Kept by the consortium (%)", places=2, default=Decimal(0), validators=[Optional(), NumberRange(min=0, max=100)]
    )
    retention_note = StringField(
        "Retention set by",
        validators=[Optional(), Length(max=500)],
        description="When and how the members set it, e.g. “AGM vote, 3 Mar 2026”.",
    )

    def parsed_tiers(self) -> list[Tier]:
        return parse_tiers(self.tiers.data or "", Basis(self.basis.data))

    def validate_tiers(self, field) -> None:
        if self.basis.data in {b.value for b in Basis}:
            self.parsed_tiers()


class RetentionForm(Form):
    retention_percent = FiniteDecimalField(
        "Kept by the consortium (%)", places=2, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    retention_note = StringField("Set by", validators=[Optional(), Length(max=500)])


class ReceivedForm(Form):
    amount = MoneyField(
        "Amount received (£)", validators=[InputRequired(message="Enter the amount."), NumberRange(min=0.01, max=10**8)]
    )
    received_on = DateField("Received on", validators=[InputRequired(message="Enter the date.")])
    reference = StringField("Payment reference", validators=[InputRequired(), Length(max=140)])


class CancelForm(Form):
    reason = StringField("Why", validators=[InputRequired(message="Say why."), Length(max=500)])
