"""What is sold: categories, suppliers' offers and their volume price tiers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.enums import VatRate
from kernel.clock import utcnow
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk, plural_of_unit
from organisations.models import Supplier

price = Annotated[Decimal, mapped_column(Numeric(12, 4))]


class Category(Model):
    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)


class Offer(Model):
    """One supplier's product or service, with its unit, pack size, VAT rate and prices."""

    __table_args__ = (
        CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        CheckConstraint("list_price > 0", name="list_price_positive"),
        CheckConstraint("minimum_order_quantity >= 1", name="moq_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
    )

    id: Mapped[intpk]
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(30))
    # The unit's plural as people write it ("reams", "kWh", "packs of 1,000 leaflets"); kernel.words says it.
    unit_plural: Mapped[str] = mapped_column(String(40), default=plural_of_unit)
    pack_size: Mapped[int] = mapped_column(default=1)
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    list_price: Mapped[price]
    minimum_order_quantity: Mapped[int] = mapped_column(default=1)
    lead_time_days: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="offer", order_by="PriceTier.min_quantity", cascade="all, delete-orphan", lazy="selectin"
    )


class PriceTier(Model):
    """From `min_quantity` units in total, every unit costs `unit_price`."""

    __table_args__ = (
        UniqueConstraint("offer_id", "min_quantity"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[intpk]
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int]
    unit_price: Mapped[price]

    offer: Mapped[Offer] = relationship(back_populates="tiers")
