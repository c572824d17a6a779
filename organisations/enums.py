"""Roles and turnover bands: plain enums, free of Flask and the database, for pure rule modules (cost shares)."""

import enum


class Role(enum.Enum):
    ADMIN = "admin"
    SECRETARY = "secretary"
    MEMBER = "member"
    SUPPLIER = "supplier"


class TurnoverBand(enum.Enum):
    UNDER_100K = "under_100k"
    FROM_100K_TO_500K = "100k_500k"
    FROM_500K_TO_2M = "500k_2m"
    OVER_2M = "over_2m"

    @property
    def label(self) -> str:
        return {
            "under_100k": "Under £100k",
            "100k_500k": "£100k to £500k",
            "500k_2m": "£500k to £2m",
            "over_2m": "Over £2m",
        }[self.value]
