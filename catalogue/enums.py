"""The catalogue's plain enums, free of Flask and the database so pure rule modules (VAT) can use them."""

import enum
from decimal import Decimal


class VatRate(enum.Enum):
    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"
    EXEMPT = "exempt"

    @property
    def percent(self) -> Decimal:
        return {"standard": Decimal(20), "reduced": Decimal(5), "zero": Decimal(0), "exempt": Decimal(0)}[self.value]

    @property
    def label(self) -> str:
        return {"standard": "Standard 20%", "reduced": "Reduced 5%", "zero": "Zero-rated 0%", "exempt": "Exempt"}[
            self.value
        ]
