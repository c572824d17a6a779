"""Forms of the directory: skills, skill categories, verification, enquiries and their replies and outcomes."""

from wtforms import (
    BooleanField,
    DateField,
    FileField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from directory.levels import SkillLevel
from directory.models import MAX_SPARE_HOURS, Outcome
from directory.services import BODY_MAX, EVIDENCE_BYTES, EVIDENCE_MAX, NAME_MAX, NOTE_MAX, SUBJECT_MAX
from kernel.web import Form
from library.documents import KINDS

LEVELS = [SelectChoice(level.value, level.label) for level in SkillLevel]


class SkillForm(Form):
    person_name = StringField("Person", validators=[InputRequired(message="Name the person."), Length(max=NAME_MAX)])
    category_id = SelectField("Skill category", coerce=int, validators=[InputRequired(message="Choose a category.")])
    level = SelectField("Level (their own assessment)", choices=LEVELS, validators=[InputRequired()])
    spare_hours_per_month = IntegerField(
        "Hours they could spare each month",
        default=0,
        validators=[
            InputRequired(message="Give the spare hours a month (0 for none)."),
            NumberRange(min=0, max=MAX_SPARE_HOURS),
        ],
    )
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_MAX)], description="Tools, languages, sectors.")


class CategoryForm(Form):
    name = StringField("Category", validators=[InputRequired(message="Name the category."), Length(max=80)])
    wanted_level = SelectField(
        "Level each consortium wants at least one person at",
        choices=LEVELS,
        default=SkillLevel.WORKING.value,
        validators=[InputRequired()],
    )


class VerificationForm(Form):
    asset_lock = BooleanField("Asset lock: its articles keep its assets for its social purpose")
    mission = BooleanField("Mission: its primary purpose is social or environmental")
    reinvestment = BooleanField("Reinvestment: it reinvests most of its profits in that purpose")
    evidence_note = TextAreaField(
        "Evidence",
        validators=[InputRequired(message="Say what you checked."), Length(max=EVIDENCE_MAX)],
        description="What you read: the articles' clause, the annual report, the accounts.",
    )
    expires_on = DateField("Check again by", validators=[InputRequired(message="Enter the expiry date.")])
    document = FileField(
        "Evidence document (optional)",
        description=f"{KINDS}, up to {EVIDENCE_BYTES // (1024 * 1024)} MB. Its contents are checked, not its name.",
    )


class EnquiryForm(Form):
    subject = StringField("Subject", validators=[InputRequired(message="Give a subject."), Length(max=SUBJECT_MAX)])
    body = TextAreaField(
        "Your enquiry",
        validators=[InputRequired(message="Write what you would like to ask."), Length(max=BODY_MAX)],
        description="What you need, how much and by when. They reply by email and on this site.",
    )


class ReplyForm(Form):
    reply = TextAreaField("Your reply", validators=[InputRequired(message="Write your reply."), Length(max=BODY_MAX)])


class CloseForm(Form):
    outcome = RadioField(
        "Outcome",
        choices=[SelectChoice(o.value, o.label) for o in Outcome],
        validators=[InputRequired(message="Choose how it went.")],
    )
