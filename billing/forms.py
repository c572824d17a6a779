"""Forms for bank payments, refunds and credit notes, and the filters of invoice lists and finance reports."""

from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kernel.web import Form
from organisations.forms import MoneyField


class PaymentForm(Form):
    amount = MoneyField("Amount received (£)", validators=[InputRequired(), NumberRange(min=0.01, max=10_000_000)])
    received_on = DateField("Received on", validators=[InputRequired()])
    reference = StringField(
        "Bank reference",
        validators=[InputRequired(), Length(max=140)],
        description="As it appears on the bank statement.",
    )


class RefundForm(Form):
    """Money paid back to the member by bank transfer, e.g. an over-payment it asked to have returned."""

    amount = MoneyField("Amount refunded (£)", validators=[InputRequired(), NumberRange(min=0.01, max=10_000_000)])
    paid_on = DateField("Paid back on", validators=[InputRequired()])
    reference = StringField(
        "Bank reference",
        validators=[InputRequired(), Length(max=140)],
        description="As it appears on the bank statement.",
    )


class CreditNoteForm(Form):
    lines = SelectMultipleField(
        "Lines to credit",
        coerce=int,
        validators=[InputRequired(message="Choose at least one line.")],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    goods_quantity = StringField(
        "Units of goods to credit (leave empty to credit whole lines)",
        validators=[Length(max=12)],
        description="For a short delivery: the units not delivered.",
    )
    reason = TextAreaField(
        "Reason", validators=[InputRequired(), Length(max=500)], description="Printed on the credit note."
    )


class InvoiceFilterForm(Form):
    """An invoice list narrowed to one state, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()])


class PeriodForm(Form):
    """A period of days, both ends included, read from the query string."""

    class Meta:
        csrf = False

    from_date = DateField("From", validators=[Optional()])
    to_date = DateField("To", validators=[Optional()])

    def validate_to_date(self, field) -> None:
        if field.data and self.from_date.data and field.data < self.from_date.data:
            raise ValidationError("The end of the period cannot be before its start.")
