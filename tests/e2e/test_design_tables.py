"""Wide tables read on a phone: at 390 px each row is a card of "heading: value" lines that fits the screen, every
figure of the 1280 px table still in it; at 1280 px the table is a table."""

import re

import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import ARTIFACTS

# Per table: whether its box scrolls, each row's display, and its cells' texts and labels (with the label drawn).
TABLE = """table => {
  const box = table.closest('.table-responsive') || table.parentElement;
  const headings = [...table.tHead.rows[0].cells].map(th => th.textContent.replace(/\\s+/g, ' ').trim());
  const rows = [...table.tBodies[0].rows];
  return {
    scrolls: table.scrollWidth > box.clientWidth || box.scrollWidth > box.clientWidth,
    display: getComputedStyle(rows[0]).display,
    outside: rows.flatMap(row => [...row.cells]).filter(cell => {
      const r = cell.getBoundingClientRect(), b = box.getBoundingClientRect();
      return r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1);
    }).length,
    headings,
    cells: rows.map(row => [...row.cells].map(cell => ({
      text: cell.innerText.replace(/\\s+/g, ' ').trim(),
      label: cell.dataset.label || null,
      drawn: getComputedStyle(cell, '::before').content,
    }))),
  };
}"""


def check_tables(person, shots) -> int:
    """Every card table of the page shown at 390 px against itself at 1280 px; how many wide ones there were."""
    page = person.page
    page.set_viewport_size({"width": 390, "height": 844})
    tables = page.locator("main table.table-cards")
    phone = [tables.nth(n).evaluate(TABLE) for n in range(tables.count())]
    page.screenshot(
        path=str(shots / f"{re.sub(r'[^A-Za-z0-9]+', '_', page.url.split('/', 3)[3]).strip('_')}.png"), full_page=True
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    desktop = [tables.nth(n).evaluate(TABLE) for n in range(tables.count())]
    for small, wide in zip(phone, desktop, strict=True):
        assert small["display"] == "block" and wide["display"] == "table-row", "a card per row on a phone only"
        assert not small["scrolls"] and small["outside"] == 0, f"{small['headings']}: it needs sideways scrolling"
        for row in small["cells"]:
            for heading, cell in zip(small["headings"], row, strict=False):
                if cell["label"] is not None:
                    assert cell["label"] == heading and cell["drawn"] == f'"{heading}"', "each cell says what it is"
        assert all(cell["drawn"] == "none" for row in wide["cells"] for cell in row), "no labels in a table"
        texts = [[cell["text"] for cell in row] for row in small["cells"]]
        assert texts == [[cell["text"] for cell in row] for row in wide["cells"]], "every figure is still there"
    return sum(1 for small in phone if len(small["headings"]) >= 5 and small["cells"])


def test_wide_tables_are_a_card_per_row_on_a_phone_with_all_their_data(visit, request):
    if request.node.callspec.params.get("live_server", BACKENDS[0]) != BACKENDS[0]:
        pytest.skip("the layout is the same on every database: checked on the first only")
    shots = ARTIFACTS / "tables"
    shots.mkdir(parents=True, exist_ok=True)
    secretary = visit("secretary", width=390)
    secretary.sign_in("secretary@example.org")
    wide = 0
    for path in ("/invoices/", "/pools/", "/purchase-orders/"):
        secretary.goto(path)
        wide += check_tables(secretary, shots)
    secretary.follow(secretary.page.locator("main table tbody a[href^='/purchase-orders/']").first)
    assert check_tables(secretary, shots) >= 2, "a purchase order's lines and its delivery breakdown"
    assert wide >= 3
