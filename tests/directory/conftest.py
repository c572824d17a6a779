"""Directory fixtures: skill categories, a member that also sells (a printer), and a commercial neighbour."""

from dataclasses import dataclass

import pytest

from directory import services
from directory.levels import SkillLevel
from directory.models import SkillCategory
from kernel.extensions import db
from organisations import services as organisations
from organisations.models import Member
from tests import factories


@dataclass
class Directory:
    world: factories.World
    bookkeeping: SkillCategory
    design: SkillCategory
    printer: Member  # a social enterprise in our network that sells print through the catalogue
    commercial: Member  # a member of our consortium that is not a social enterprise
    far: Member  # a social enterprise in our consortium's second network, in Perth


@pytest.fixture
def directory(world) -> Directory:
    admin = world.admin
    bookkeeping = services.add_category(admin, "Bookkeeping", SkillLevel.SKILLED)
    design = services.add_category(admin, "Graphic design", SkillLevel.WORKING)
    printer = factories.member(world.network, "Hilltown Print Collective", city="Dundee", postcode="DD3 7AB")
    print_supplier = organisations.register_member_as_supplier(printer)
    print_supplier.description = "Risograph and screen printing on recycled stock."
    stationery = factories.category("stationery", "Stationery", position=1)
    factories.offer(print_supplier, stationery, name="Recycled letterheads", actor=admin)
    commercial = factories.member(world.network, "Dundee Plastics Ltd", is_social_enterprise=False)
    angus = factories.network(world.consortium, "Perth Network")
    far = factories.member(angus, "Perth Furniture Reuse", city="Perth", postcode="PH1 5AA")
    db.session.commit()
    return Directory(world, bookkeeping, design, printer, commercial, far)
