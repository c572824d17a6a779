"""Suppliers' monthly statements: the month's delivered call-offs and the fee due, page, CSV, PDF and the run."""

from datetime import UTC, date, datetime
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import func, select

from frameworks import services
from frameworks.models import FeeStatement
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import sign_in
from tests.frameworks.conftest import call_off


def _delivered(world, framework, quantity, at):
    made = call_off(world, framework, quantity)
    services.deliver(world.supplier_user, made.id)
    made.delivered_at = at
    db.session.commit()
    return made


def test_the_statement_lists_the_months_deliveries_and_the_fee(app, world, framework, frozen_clock):
    frozen_clock.set(datetime(2026, 12, 3, 9, tzinfo=UTC))
    _delivered(world, framework, 20, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 30 Nov in the UK
    _delivered(world, framework, 3, datetime(2026, 11, 1, 0, 30, tzinfo=UTC))
    _delivered(world, framework, 5, datetime(2026, 10, 31, 23, 59, tzinfo=UTC))  # October's
    call_off(world, framework, 7)  # not delivered
    november = date(2026, 11, 1)
    (fee,) = services.fees_due(world.supplier_user, world.supplier.id, november)
    assert (fee.consortium_name, fee.call_off_count, fee.net_pence, fee.fee_pence) == (
        "Tayside",
        2,
        136_500,
        2925 + 488,
    )

    supplier = app.test_client()
    sign_in(supplier, world.supplier_user)
    url = f"/frameworks/statements/{world.supplier.id}/2026/11"
    page = supplier.get(url).get_data(as_text=True)
    assert "Tayside: £34.13 on £1,365.00 of 2 call-offs" in page and "Total fee due: £34.13" in page
    csv = supplier.get(f"{url}.csv").get_data(as_text=True).removeprefix("\ufeff").splitlines()
    assert csv[1:] == [
        "2026-11-01,FW-TAY-0001-0002,Re-Tweed Dundee CIC,Marketing and PR support,3,65.0000,19500,488",
        "2026-11-30,FW-TAY-0001-0001,Re-Tweed Dundee CIC,Marketing and PR support,20,58.5000,117000,2925",
    ]
    pdf = supplier.get(f"{url}.pdf")
    text = PdfReader(BytesIO(pdf.data)).pages[0].extract_text()
    assert "Total fee due: £34.13" in text and "FW-TAY-0001-0001" in text
    other = app.test_client()
    sign_in(other, factories.user(None, (Role.SUPPLIER, world.other_supplier.id)))
    assert other.get(url).status_code == 404


def test_the_monthly_run_produces_each_statement_once(app, world, framework, runner, frozen_clock):
    frozen_clock.set(datetime(2026, 12, 3, 9, tzinfo=UTC))
    _delivered(world, framework, 20, datetime(2026, 11, 15, 12, tzinfo=UTC))
    first = runner.invoke(args=["produce-fee-statements"])
    assert first.exit_code == 0 and first.output.startswith("1 statements produced for November 2026")
    assert runner.invoke(args=["produce-fee-statements"]).output.startswith("0 statements")
    (made,) = db.session.scalars(select(FeeStatement)).all()
    assert (made.month, made.call_off_count, made.net_pence, made.fee_pence) == (date(2026, 11, 1), 1, 117_000, 2925)
    assert db.session.scalar(select(func.count()).select_from(FeeStatement)) == 1
    assert uk_today() == date(2026, 12, 3)
