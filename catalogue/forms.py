"""HTML forms for searching the catalogue and for a supplier's offers and price tiers."""

import wtforms
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalogue.models import VatRate
from kernel.web import Form

BLANK_TIER_ROWS = 3


class SearchForm(Form):
    """The browse page's filters, read from the query string (a GET form needs no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(
        "Search",
        validators=[Optional(), Length(max=200)],
        description="Words in the offer's name or description, or the supplier's name.",
    )
    category = SelectField("Category", validators=[Optional()])
    supplier = SelectField("Supplier", validators=[Optional()])
    buy_social = BooleanField("Only social enterprises (buy social)")


class TierForm(wtforms.Form):
    """One price tier row; a row left wholly blank is ignored."""

    min_quantity = IntegerField("From quantity", validators=[Optional(), NumberRange(min=1)])
    unit_price = DecimalField("Unit price (£)", places=None, validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return self.min_quantity.data is None and self.unit_price.data is None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.is_blank:
            for field in (self.min_quantity, self.unit_price):
                if field.data is None:
                    field.errors.append("Give both a quantity and a unit price, or leave the row blank.")
                    valid = False
        return valid


class OfferForm(Form):
    name = StringField(
        "Name",
        validators=[InputRequired(), Length(max=200)],
        description="What members buy, e.g. 'A4 copier paper, 80gsm'.",
    )
    category = SelectField("Category", coerce=int, validators=[InputRequired()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    unit = StringField(
        "Unit",
        validators=[InputRequired(), Length(max=30)],
        description="What one unit is: ream, hour, kWh, seat-month...",
    )
    unit_plural = StringField(
        "Unit, plural",
        validators=[Optional(), Length(max=40)],
        description="As in '20 reams'; leave blank for the usual plural.",
    )
    pack_size = IntegerField(
        "Pack size",
        default=1,
        validators=[InputRequired(), NumberRange(min=1)],
        description="Whole units per pack; orders are rounded up to whole packs.",
    )
    vat_rate = SelectField(
        "VAT rate",
        choices=[SelectChoice(rate.value, rate.label) for rate in VatRate],
        coerce=VatRate,
        validators=[InputRequired()],
    )
    list_price = DecimalField(
        "List price per unit (£)",
        places=None,
        validators=[InputRequired()],
        description="Up to 4 decimal places, e.g. 0.2450 for a kWh.",
    )
    minimum_order_quantity = IntegerField(
        "Minimum order quantity", default=1, validators=[InputRequired(), NumberRange(min=1)]
    )
    lead_time_days = IntegerField("Lead time (days)", default=0, validators=[InputRequired(), NumberRange(min=0)])
    tiers = FieldList(FormField(TierForm), min_entries=BLANK_TIER_ROWS)

    def add_blank_tier_rows(self) -> None:
        for _ in range(BLANK_TIER_ROWS):
            self.tiers.append_entry()

    def offer_data(self) -> dict:
        """The fields as the catalogue services take them; blank tier rows left out."""
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "tiers")}
        data["tiers"] = [
            {"min_quantity": row.min_quantity.data, "unit_price": row.unit_price.data}
            for row in self.tiers
            if not row.form.is_blank
        ]
        return data
