"""Charts: labels that fit, money axes in round pounds, and the supplier's chart per offer."""

import itertools
import re
from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kernel.charts import LABEL_LIMIT, short_label, ticks
from kernel.clock import UK, uk_today
from kernel.extensions import db
from orders import services as orders_services
from reports.charts import spend_by_category_svg
from reports.figures import Figures
from reports.savings import Row
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool


def test_long_labels_are_cut_at_a_word_with_an_ellipsis():
    assert short_label("Copier paper") == "Copier paper"
    assert short_label("Recycled A4 copier paper, 80gsm, white") == "Recycled A4…"
    assert short_label("Supercalifragilisticexpialidocious") == "Supercalifragilis…"


@given(st.text(min_size=0, max_size=80))
def test_a_label_never_exceeds_the_limit(text):
    label = short_label(text)
    assert len(label) <= LABEL_LIMIT
    assert label == text or label.endswith("…")


def test_money_ticks_are_round_pounds():
    assert ticks(123_456, unit=100) == [0, 50_000, 100_000, 150_000]  # £0, £500, £1,000, £1,500
    assert ticks(0, unit=100) == [0, 100]
    assert ticks(7) == [0, 2, 4, 6, 8]


@given(st.integers(0, 10**12), st.sampled_from([1, 100]))
def test_ticks_cover_the_largest_value_in_a_few_round_steps(largest, unit):
    found = ticks(largest, unit)
    step = found[1] - found[0]
    assert found[0] == 0 and found[-1] >= largest
    assert 2 <= len(found) <= 12
    assert all(b - a == step for a, b in itertools.pairwise(found))
    assert step % unit == 0
    digits = str(step // unit).rstrip("0")
    assert digits in {"1", "2", "5"}


def test_the_supplier_chart_is_one_offers_forecast_by_week(app, client, world):
    paper = make_offer(world.supplier, name="Copier paper", unit="ream")
    toner = make_offer(world.supplier, name="Toner cartridges", unit="cartridge")
    monday = uk_today() - timedelta(days=uk_today().weekday())
    for offer, units, weeks_ahead in ((paper, 30, 1), (paper, 12, 3), (toner, 4, 1)):
        deadline = datetime.combine(monday + timedelta(weeks=weeks_ahead, days=2), time(12), UK)
        pool = make_pool(world.secretary, offer, [world.consortium], deadline=deadline)
        orders_services.pledge(world.member_user, pool.id, units, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.supplier_user)

    svg = client.get(f"/supplier/{world.supplier.id}/demand/pledged-units.svg?offer_id={paper.id}")
    page = client.get(f"/supplier/{world.supplier.id}/demand?offer_id={paper.id}").get_data(as_text=True)

    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "Copier paper: pledged, by the week pools close" in text and "Pledged (ream)" in text
    labels = re.findall(r"w/c \d+ \w+", text)
    assert len(set(labels)) == 8  # eight weeks ahead, each its own label
    assert ">30<" in text and ">12<" in text and ">34<" not in text and ">42<" not in text
    table = page[page.index('class="table table-sm weekly-forecast"') :]
    week1 = (monday + timedelta(weeks=1)).strftime("%-d %b")
    assert f'<td>w/c {week1}</td><td class="num">1</td><td class="num">30</td>' in table
    toner_svg = client.get(f"/supplier/{world.supplier.id}/demand/pledged-units.svg?offer_id={toner.id}")
    assert "Toner cartridges" in toner_svg.get_data(as_text=True) and b">30<" not in toner_svg.data
    everything = client.get(f"/supplier/{world.supplier.id}/demand").get_data(as_text=True)
    assert "weekly-forecast" not in everything and "Choose an offer" in everything
    assert "46 units pledged" not in everything  # reams and cartridges are never added up


def test_money_charts_label_pounds_in_round_ticks_and_cut_long_labels():
    rows = [
        Row("1", "Marketing and public relations services", Figures(1, 1, 200_000, 123_456)),
        Row("2", "Stationery", Figures(1, 1, 5_000, 4_000)),
    ]
    text = spend_by_category_svg(rows).decode()
    assert re.findall(r">(£[\d,]+)<", text) == ["£0", "£500", "£1,000", "£1,500"]
    assert ">Marketing and public…<" in text and "Stationery" in text
