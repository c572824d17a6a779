"""Forms for inviting, accepting, applying, deciding and importing."""

from flask_wtf.file import FileField
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional

from kernel.web import Form
from organisations.forms import OrganisationDetailsForm
from organisations.models import TurnoverBand
from organisations.passwords import MAX_LENGTH, MIN_LENGTH


class InviteForm(Form):
    """`organisation` names the role and its organisation, e.g. 'member:12'."""

    name = StringField("Their name", validators=[DataRequired(), Length(max=100)])
    email = EmailField("Their email", validators=[InputRequired(), Email(), Length(max=254)])
    organisation = SelectField("To act as", validators=[InputRequired()])


class NewPasswordForm(Form):
    """For a person without an account yet; the service holds the password to the policy (organisations.passwords)."""

    password = PasswordField(
        "Choose a password",
        validators=[
            InputRequired(),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=f"Choose a password of at least {MIN_LENGTH} characters (and at most {MAX_LENGTH}).",
            ),
        ],
        description=f"At least {MIN_LENGTH} characters. A few unrelated words make a strong password.",
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class ExistingPasswordForm(Form):
    password = PasswordField("Your password", validators=[InputRequired(), Length(max=200)])


class ApplicationForm(OrganisationDetailsForm):
    """A social enterprise's application; `website` is a honeypot no person sees or fills."""

    network_id = SelectField("Network to join", coerce=int, validators=[InputRequired()])
    legal_name = StringField("Organisation's legal name", validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField("Organisation's email", validators=[InputRequired(), Email(), Length(max=254)])
    turnover_band = SelectField(
        "Yearly turnover",
        choices=[SelectChoice(band.value, band.label) for band in TurnoverBand],
        coerce=TurnoverBand,
        validators=[InputRequired()],
    )
    headcount = IntegerField("People working there", default=1, validators=[InputRequired(), NumberRange(0, 100_000)])
    person_name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    person_email = EmailField(
        "Your email",
        validators=[InputRequired(), Email(), Length(max=254)],
        description="If the application is approved, your invitation to sign in goes here.",
    )
    about = TextAreaField("What your organisation does", validators=[Optional(), Length(max=2000)])
    website = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})


class DeclineForm(Form):
    reason = TextAreaField(
        "Why the application is declined",
        validators=[DataRequired(), Length(max=500)],
        description="The applicant is emailed this.",
    )


class ImportForm(Form):
    file = FileField("Membership file (.csv or .xlsx)", description="One row per member's contact person.")
    content = HiddenField()
    filename = HiddenField()
