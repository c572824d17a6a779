"""A credit note never credits more of a line than was invoiced less what earlier credit notes took."""

from hypothesis import given
from hypothesis import strategies as st

from billing import services
from billing.models import CreditNote, InvoiceStatus, LineKind
from catalogue.enums import VatRate
from kernel.errors import ValidationFailed
from kernel.extensions import db
from orders.vat import VatLine, rest_of_vat, vat_analysis
from tests.billing.test_invoicing import delivered_order
from tests.factories import api_token, sign_in


def _members_invoice(world):
    order = delivered_order(world, quantities=(45, 5, 9))
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    return invoice, next(line for line in invoice.lines if line.kind is LineKind.GOODS)


def _notes() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(CreditNote))


def test_crediting_one_box_then_the_whole_line_is_refused_naming_what_is_left(world):
    invoice, goods = _members_invoice(world)
    assert goods.quantity == 45
    services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 1)], "1 box damaged")
    db.session.commit()
    try:
        services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 45)], "all of it")
    except ValidationFailed as error:
        message = error.fields["lines"][0]
    else:
        raise AssertionError("a second credit of the whole line was accepted")
    db.session.rollback()
    assert goods.description in message and "44 of 45 left (1 already credited)" in message
    assert _notes() == 1


def test_a_line_credited_in_parts_sums_to_the_invoice_to_the_penny(world):
    invoice, goods = _members_invoice(world)
    first = services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 7)], "7 boxes short")
    rest = services.issue_credit_note(world.secretary, invoice, services.full_credit(invoice), "Cancelled")
    db.session.commit()
    goods_credited = sum(line.net_pence for note in (first, rest) for line in note.lines if line.kind is LineKind.GOODS)
    assert goods_credited == goods.net_pence
    assert first.total_pence + rest.total_pence == invoice.total_pence == invoice.credited_pence
    assert invoice.status is InvoiceStatus.CREDITED
    assert services.full_credit(invoice) == []


def test_over_the_page_and_the_api_an_over_credit_is_a_field_error(client, world):
    invoice, goods = _members_invoice(world)
    services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 40)], "40 boxes returned")
    db.session.commit()
    headers = api_token(world.secretary)
    response = client.post(
        f"/api/v1/invoices/{invoice.id}/credit-notes",
        headers=headers,
        json={"reason": "more", "lines": [{"line_id": goods.id, "quantity": 6}]},
    )
    assert response.status_code == 422
    assert "5 of 45 left (40 already credited)" in response.json["error"]["fields"]["lines"][0]
    sign_in(client, world.secretary)
    page = client.post(
        f"/invoices/{invoice.id}/credit-notes",
        data={"lines": [str(goods.id)], "goods_quantity": "6", "reason": "more"},
    )
    assert page.status_code == 422 and "5 of 45 left (40 already credited)" in page.get_data(as_text=True)
    assert _notes() == 1


rates = st.sampled_from([VatRate.STANDARD, VatRate.REDUCED, VatRate.ZERO])


@given(lines=st.lists(st.tuples(rates, st.integers(1, 500_000)), min_size=1, max_size=6), cut=st.floats(0.01, 0.99))
def test_the_last_credit_note_takes_exactly_the_vat_left_per_rate(lines, cut):
    """However the earlier notes rounded, the notes' VAT per rate sums to the invoice's."""
    invoiced = vat_analysis(lines)
    first = vat_analysis((rate, int(net * cut)) for rate, net in lines if int(net * cut))
    last_nets = [(rate, net - int(net * cut)) for rate, net in lines]
    last = rest_of_vat(invoiced, first, vat_analysis(last_nets))
    for line in invoiced:
        taken = sum(v.vat_pence for v in first if v.vat_rate is line.vat_rate)
        closing = next(v for v in last if v.vat_rate is line.vat_rate)
        assert taken + closing.vat_pence == line.vat_pence
        assert sum(v.net_pence for v in first if v.vat_rate is line.vat_rate) + closing.net_pence == line.net_pence
    assert all(isinstance(v, VatLine) for v in last)
