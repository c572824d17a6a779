"""HTML forms for signing in, tokens, profiles and the admin pages."""

import re
from decimal import Decimal
from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kernel.errors import ValidationFailed
from kernel.web import Form
from organisations import notifications
from organisations.bank import bank_account
from organisations.models import Role, TurnoverBand
from organisations.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from organisations.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from organisations.peppol import SCHEMES, participant
from organisations.services import (
    DEFAULT_TOKEN_LIFETIME_DAYS,
    MAX_HANDLING_FEE_PERCENT,
    MAX_PAYMENT_TERMS_DAYS,
    SELLER_NEEDS_AN_IDENTIFIER,
    TOKEN_LIFETIMES_DAYS,
)

UK_POSTCODE = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"
UK_VAT = r"^([Gg][Bb])?\s*([0-9]{3}\s*[0-9]{4}\s*[0-9]{2}|[0-9]{3}\s*[0-9]{4}\s*[0-9]{2}\s*[0-9]{3})$"


class FiniteDecimalField(DecimalField):
    """A decimal field that refuses NaN and Infinity: Decimal() parses them, no amount can be one,
    and NumberRange cannot even compare a signalling NaN."""

    data: Decimal | None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if valuelist and isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


class MoneyField(FiniteDecimalField):
    """An amount in pounds, taken exactly as typed or refused: never rounded to the penny behind the user's back.

    At most two decimal places; commas only as thousands separators (1,234.56); a leading £ is allowed.
    The range (no negatives, a sane ceiling) is the caller's NumberRange.
    """

    _GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, places=2, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        typed = str(valuelist[0]).strip().removeprefix("£").strip()
        if "," in typed:
            if not self._GROUPED.fullmatch(typed):
                self.data = None
                raise ValueError("Write thousands as 1,234.56, or leave the commas out.")
            typed = typed.replace(",", "")
        super().process_formdata([typed])
        exponent = self.data.as_tuple().exponent if isinstance(self.data, Decimal) else 0
        if isinstance(exponent, int) and exponent < -2:
            self.data = None
            raise ValueError("Enter pounds and pence: at most two decimal places.")


class SignInForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])


class ApiTokenForm(Form):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=100)],
        description="What the token is for, e.g. 'finance spreadsheet'.",
    )
    days = SelectField(
        "Lasts for",
        choices=[SelectChoice(days, f"{days} days") for days in TOKEN_LIFETIMES_DAYS],
        coerce=int,
        default=DEFAULT_TOKEN_LIFETIME_DAYS,
        description="The token stops working after this; create a new one then.",
    )
    read_only = BooleanField("Read only: the token can look things up but not change anything")


class SignInCodeForm(Form):
    code = StringField(
        "Code",
        validators=[InputRequired(), Length(max=20)],
        description="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "autofocus": True},
    )


class ForgotPasswordForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])


def _new_password() -> PasswordField:
    return PasswordField(
        "New password",
        validators=[InputRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password.",
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_password() -> PasswordField:
    return PasswordField(
        "New password again",
        validators=[InputRequired(), EqualTo("new_password", message="The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )


class NewPasswordForm(Form):
    new_password = _new_password()
    confirm_password = _confirm_password()


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password()
    confirm_password = _confirm_password()


class TwoFactorSetupForm(Form):
    code = StringField(
        "Code from the app",
        validators=[InputRequired(), Length(max=20)],
        description="After adding the account, type the 6-digit code the app shows.",
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordConfirmForm(Form):
    password = PasswordField(
        "Your password", validators=[InputRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )


class OrganisationDetailsForm(Form):
    """The legal details every organisation has, also asked of one applying to join (joining.forms).

    Names and addresses use DataRequired, so a value of only spaces counts as missing.
    """

    legal_name = StringField("Legal name", validators=[DataRequired(), Length(max=200)])
    address_line1 = StringField("Address line 1", validators=[DataRequired(), Length(max=200)])
    address_line2 = StringField("Address line 2", validators=[Optional(), Length(max=200)])
    city = StringField("Town or city", validators=[DataRequired(), Length(max=100)])
    postcode = StringField(
        "Postcode", validators=[InputRequired(), Regexp(UK_POSTCODE, message="Enter a UK postcode, e.g. DD1 4HN.")]
    )
    contact_email = EmailField("Contact email", validators=[InputRequired(), Email(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=30)])
    vat_number = StringField(
        "VAT number",
        validators=[Optional(), Regexp(UK_VAT, message="Enter a UK VAT number, e.g. GB123456789.")],
        description="Leave empty if not VAT-registered.",
    )
    company_number = StringField("Company or charity number", validators=[Optional(), Length(max=10)])


class OrganisationForm(OrganisationDetailsForm):
    """The details, and where e-invoices reach the organisation."""

    peppol_scheme = SelectField(
        "Peppol ID scheme",
        choices=[
            SelectChoice("", "No Peppol ID"),
            *(SelectChoice(code, f"{code} {name}") for code, name in SCHEMES.items()),
        ],
        filters=[lambda scheme: scheme or ""],  # none stored, or none posted: "No Peppol ID"
        description="9932 is a UK VAT number, 0088 a GS1 Global Location Number.",
    )
    peppol_id = StringField(
        "Peppol ID",
        validators=[Optional(), Length(max=60)],
        description="Where e-invoices reach you on the Peppol network. Without one they go to your VAT number.",
    )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the Peppol ID's scheme and shape (organisations.peppol), all shown at once."""
        valid = super().validate(extra_validators)
        if self.peppol_scheme.errors or self.peppol_id.errors:
            return False
        try:
            participant(self.peppol_scheme.data, self.peppol_id.data)
        except ValidationFailed as error:
            _show(self, error)
            return False
        return valid


class ConsortiumForm(OrganisationForm):
    name = StringField("Consortium name", validators=[DataRequired(), Length(max=100)])
    code = StringField(
        "Code",
        validators=[InputRequired(), Regexp(r"^[A-Za-z]{2,5}$", message="2 to 5 letters.")],
        description="Prefix of the consortium's order and invoice numbers, e.g. TAY.",
    )
    bank_account_name = StringField(
        "Name on the bank account", description="Printed on invoices for members paying by bank transfer."
    )
    bank_sort_code = StringField("Sort code", description="6 digits, e.g. 12-34-56.")
    bank_account_number = StringField("Account number", description="8 digits.")
    send_orders_on_close = BooleanField(
        "Send purchase orders to the supplier as soon as a pool closes",
        description="Otherwise they wait as drafts for the secretary to send.",
    )
    handling_fee_percent = FiniteDecimalField(
        "Handling fee (% of goods)",
        places=2,
        default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_HANDLING_FEE_PERCENT)],
        description="Added to members' invoices in proportion to their goods, to cover the consortium's costs.",
    )
    payment_terms_days = IntegerField(
        "Payment terms (days)",
        default=30,
        validators=[Optional(), NumberRange(min=0, max=MAX_PAYMENT_TERMS_DAYS)],
        description="Invoices are due this many days after they are issued.",
    )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the bank account's rule and the seller's identifier, all shown at once."""
        valid = super().validate(extra_validators)
        try:
            bank_account(self.bank_account_name.data, self.bank_sort_code.data, self.bank_account_number.data)
        except ValidationFailed as error:
            _show(self, error)
            valid = False
        if not (self.vat_number.data or "").strip() and not (self.peppol_id.data or "").strip():
            _show(self, ValidationFailed.field("peppol_id", SELLER_NEEDS_AN_IDENTIFIER))
            valid = False
        return valid


def _show(form: Form, error: ValidationFailed) -> None:
    """A rule's field messages next to the form's fields."""
    for name, messages in error.fields.items():
        field = getattr(form, name)
        field.errors = [*field.errors, *messages]


class NetworkForm(Form):
    name = StringField("Network name", validators=[DataRequired(), Length(max=100)])
    consortium_id = SelectField("Consortium", coerce=int, validators=[InputRequired()])


class MemberProfileForm(OrganisationForm):
    billing_email = EmailField(
        "Billing email",
        validators=[Optional(), Email(), Length(max=254)],
        description="Where invoices go; the contact email if empty.",
    )


class MemberForm(MemberProfileForm):
    network_id = SelectField("Network", coerce=int, validators=[InputRequired()])
    headcount = IntegerField("Headcount", validators=[InputRequired(), NumberRange(min=0, max=100_000)])
    turnover_band = SelectField(
        "Turnover band",
        choices=[SelectChoice(band.value, band.label) for band in TurnoverBand],
        coerce=TurnoverBand,
        validators=[InputRequired()],
    )
    is_social_enterprise = BooleanField("Social enterprise", default=True)


class SupplierForm(OrganisationForm):
    description = TextAreaField("What the supplier offers", validators=[Optional(), Length(max=2000)])
    is_social_enterprise = BooleanField("Social enterprise (buy social)")


class UserForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(min=10, max=200)],
        description="At least 10 characters. Leave empty to keep the current password.",
    )


class RoleGrantForm(Form):
    """One choice names both the role and its organisation, e.g. 'secretary:1'."""

    grant = SelectField(
        "Role",
        validators=[InputRequired()],
        description="A member's user, a consortium's secretary, a supplier's user, or admin.",
    )

    def parsed(self) -> tuple[Role, int | None]:
        role, _, scope = self.grant.data.partition(":")
        return Role(role), int(scope) if scope else None


class NotificationsForm(Form):
    """The kinds of email a user receives; the choices are the kinds open to their roles."""

    receive = SelectMultipleField(
        "Email me when", widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), validate_choice=True
    )
    next = HiddenField()

    @classmethod
    def for_user(cls, user, **kwargs) -> "NotificationsForm":
        """The kinds open to the user, each ticked unless switched off."""
        kinds = notifications.kinds_for(user)
        off = notifications.switched_off(user)
        form = cls(receive=[kind for kind in kinds if kind not in off], prefix="email", **kwargs)
        form.receive.choices = [SelectChoice(name, kind.label) for name, kind in kinds.items()]
        return form


class AuditSearchForm(Form):
    """The audit log's filters, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Who, what or where", validators=[Optional(), Length(max=100)])
    action = SelectField("Action", validators=[Optional()])
    consortium_id = SelectField("Consortium", validators=[Optional()])
    from_date = DateField("From", validators=[Optional()])
    to_date = DateField("To", validators=[Optional()])
