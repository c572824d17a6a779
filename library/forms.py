"""Forms of the policy library and the impact measures."""

from wtforms import DateField, FileField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from kernel.web import Form
from library.documents import KINDS, MAX_BYTES
from library.models import AdoptionKind, PolicyCategory
from library.services import NOTE_MAX, SUMMARY_MAX, TITLE_MAX

UPLOAD_HINT = f"{KINDS}, up to {MAX_BYTES // (1024 * 1024)} MB. Its contents are checked, not its name."


class TemplateForm(Form):
    consortium_id = SelectField("Published by", coerce=int, validators=[InputRequired()])
    title = StringField(
        "Title", validators=[InputRequired(message="Give the template a title."), Length(max=TITLE_MAX)]
    )
    category = SelectField(
        "Category", choices=[SelectChoice(c.value, c.label) for c in PolicyCategory], validators=[InputRequired()]
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=SUMMARY_MAX)])


class VersionForm(Form):
    change_note = TextAreaField(
        "Change note",
        validators=[InputRequired(message="Say what this version changes."), Length(max=NOTE_MAX)],
        description="What changed since the last version, in a sentence or two; members read it when they review.",
    )
    effective_date = DateField("Effective date", validators=[InputRequired(message="Enter the effective date.")])
    review_by = DateField("Review by", validators=[InputRequired(message="Enter the date to review it by.")])
    body_markdown = TextAreaField(
        "Policy text (Markdown)",
        validators=[Optional()],
        description="Headings with #, lists with -, **bold**. HTML is shown as text. Or upload a document instead.",
    )
    document = FileField("Or upload the policy document", description=UPLOAD_HINT)


class AdoptForm(Form):
    member_id = SelectField("Member", coerce=int, validators=[InputRequired()])
    kind = RadioField(
        "Decision",
        choices=[SelectChoice(k.value, k.label.capitalize()) for k in AdoptionKind],
        default=AdoptionKind.AS_IS.value,
        validators=[InputRequired()],
    )
    board_approved_on = DateField("Date the board approved it", validators=[Optional()])
    next_review_on = DateField("Next review date", validators=[Optional()])
    document = FileField("Your own version (with local changes only)", description=UPLOAD_HINT)


class AcknowledgeForm(Form):
    member_id = SelectField("Member", coerce=int, validators=[InputRequired()])


class MeasureForm(Form):
    name = StringField("Measure", validators=[InputRequired(message="Name the measure."), Length(max=100)])
    unit = StringField(
        "Unit",
        validators=[InputRequired(message="Give the unit counted."), Length(max=40)],
        description="What one counts, in the plural: jobs, volunteers, people.",
    )
    description = StringField("Description", validators=[Optional(), Length(max=500)])


class RecordForm(Form):
    measure_id = SelectField("Measure", coerce=int, validators=[InputRequired()])
    value = IntegerField(
        "Value", validators=[InputRequired(message="Enter the figure."), NumberRange(min=0, max=10_000_000)]
    )
    period_start = DateField("Period from", validators=[InputRequired(message="Enter the start of the period.")])
    period_end = DateField("Period to", validators=[InputRequired(message="Enter the end of the period.")])
    evidence = TextAreaField(
        "Evidence",
        validators=[InputRequired(message="Say what shows it: a payroll count, a register, a link."), Length(max=2000)],
    )
