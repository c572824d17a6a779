"""Forms for making frameworks and placing call-offs."""

import wtforms
from wtforms import (
    DateField,
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

from frameworks.services import MAX_CEILING_PENCE, MAX_EXTENSION_MONTHS, MAX_EXTENSIONS, MAX_LOTS, MAX_QUANTITY
from kernel.web import Form, one_line, printable
from organisations.forms import FiniteDecimalField, MoneyField

LOT_ROWS = 3


class FrameworkLotForm(wtforms.Form):
    """One lot of the framework; a lot left wholly blank is ignored."""

    lot_name = StringField("Lot", validators=[Optional(), Length(max=200), one_line], description="What is called off.")
    unit_singular = StringField("Unit", validators=[Optional(), Length(max=30), one_line], description="e.g. hour")
    unit_plural = StringField("Units", validators=[Optional(), Length(max=30), one_line], description="e.g. hours")
    tiers = TextAreaField(
        "Rate card",
        validators=[Optional(), Length(max=2000), printable],
        description="One tier a line: from quantity, then unit price in pounds (1 65.00). One line is a fixed rate.",
    )
    supplier_id = SelectField(
        "Called off from",
        coerce=int,
        default=0,
        validators=[Optional()],
        description="One of the framework's suppliers alone, or any of them.",
    )

    @property
    def is_blank(self) -> bool:
        return not any((self.lot_name.data, self.unit_singular.data, self.unit_plural.data, self.tiers.data))


class FrameworkForm(Form):
    """A framework of one or more lots (blank rows are left out) and one or more suppliers."""

    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    reference = StringField(
        "Reference", validators=[Length(max=30)], description="Leave empty and one is made, e.g. FW-TAY-0001."
    )
    consortium_id = SelectField("Consortium", coerce=int, validators=[InputRequired()])
    supplier_ids = SelectMultipleField(
        "Suppliers",
        coerce=int,
        validators=[InputRequired()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    lots = FieldList(FormField(FrameworkLotForm), label="Lots", min_entries=LOT_ROWS, max_entries=MAX_LOTS)
    starts_on = DateField("Starts on", validators=[InputRequired()])
    ends_on = DateField("Ends on", validators=[InputRequired()])
    extensions_allowed = IntegerField(
        "Extension options", default=0, validators=[InputRequired(), NumberRange(min=0, max=MAX_EXTENSIONS)]
    )
    extension_months = IntegerField(
        "Months each extension", default=0, validators=[InputRequired(), NumberRange(min=0, max=MAX_EXTENSION_MONTHS)]
    )
    ceiling = MoneyField(
        "Value ceiling (£)", validators=[InputRequired(), NumberRange(min=0.01, max=MAX_CEILING_PENCE / 100)]
    )
    allowance_percent = FiniteDecimalField(
        "Allowance over the ceiling (%)", places=2, default=0, validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    fee_percent = FiniteDecimalField(
        "Management fee (% of call-off net value)",
        places=2,
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    route = SelectField(
        "Route",
        choices=[
            SelectChoice("direct_award", "Direct award"),
            SelectChoice("mini_competition", "Mini-competition among the suppliers"),
        ],
        validators=[InputRequired()],
    )


class CallOffForm(Form):
    lot_id = SelectField("Lot", coerce=int, validators=[InputRequired()])
    member_id = SelectField("For member", coerce=int, validators=[InputRequired()])
    supplier_id = SelectField("Supplier", coerce=int, validators=[InputRequired()])
    quantity = IntegerField("Quantity", validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)])


class ReasonForm(Form):
    reason = TextAreaField("Reason", validators=[InputRequired(), Length(max=500)])
