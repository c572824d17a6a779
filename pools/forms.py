"""The form fields every kind of pool shares: what it is created with, and the reason it is cancelled."""

from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from kernel.lifecycle import REASON_MAX
from kernel.web import Form


class CancelPoolForm(Form):
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired(), Length(max=REASON_MAX)],
        description="Members see this on the pool's page; those who joined or pledged are told.",
    )


def offer_and_consortia_fields(offer_label: str, consortia_description: str) -> tuple[SelectField, SelectMultipleField]:
    """The two fields every kind of pool is created with; each kind's form names them in its own words."""
    return (
        SelectField(offer_label, coerce=int, validators=[InputRequired()]),
        SelectMultipleField(
            "Consortia",
            coerce=int,
            validators=[InputRequired(message="Choose at least one consortium.")],
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            description=consortia_description,
        ),
    )
