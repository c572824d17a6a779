"""The membership sheet's rules, without the database: every error named by row and column."""

import string

from hypothesis import given
from hypothesis import strategies as st

from joining import sheet
from organisations.enums import TurnoverBand

HEADER = ",".join(sheet.COLUMNS)


def row(**cells: str) -> dict[str, str]:
    base = {
        "network": "Dundee Network",
        "member": "Re-Tweed Dundee CIC",
        "address_line1": "1 High Street",
        "address_line2": "",
        "city": "Dundee",
        "postcode": "DD1 1AA",
        "organisation_email": "office@retweed.example.org",
        "phone": "",
        "vat_number": "",
        "company_number": "SC123456",
        "turnover_band": "100k_500k",
        "headcount": "12",
        "contact_name": "Morag",
        "contact_email": "morag@retweed.example.org",
    }
    return base | cells


def test_a_clean_sheet_plans_networks_members_and_contacts():
    rows = [
        row(),
        row(contact_name="Ewan", contact_email="ewan@retweed.example.org"),
        row(member="Leith Crops", company_number="", contact_name="", contact_email="", network="Leith Network"),
        {column: "" for column in sheet.COLUMNS} | {"network": "Empty Network"},
    ]
    plan, errors = sheet.check(rows)
    assert errors == []
    assert plan.networks == ["Dundee Network", "Leith Network", "Empty Network"]
    assert [m.name for m in plan.members] == ["Re-Tweed Dundee CIC", "Leith Crops"]
    assert plan.members[0].contacts == [("Morag", "morag@retweed.example.org"), ("Ewan", "ewan@retweed.example.org")]
    assert plan.members[0].turnover_band is TurnoverBand.FROM_100K_TO_500K and plan.members[0].headcount == 12
    assert plan.contact_count == 2


def test_every_error_is_named_by_row_and_column():
    rows = [
        row(postcode="nowhere", turnover_band="huge", headcount="-3"),
        row(member="B", company_number="SC123456", contact_email="", organisation_email="not-an-email"),
        row(city="Perth"),
        row(
            network="",
            member="",
            address_line1="2 Street",
            city="",
            postcode="",
            organisation_email="",
            turnover_band="",
            headcount="",
            company_number="",
            contact_name="",
            contact_email="",
        ),
        row(member="C", company_number="SC9", vat_number="123", address_line1="x\x00y"),
    ]
    _, errors = sheet.check(rows)
    assert [(e.row, e.column) for e in errors] == [
        (2, "postcode"),
        (2, "turnover_band"),
        (2, "headcount"),
        (3, "organisation_email"),
        (3, "contact_email"),
        (5, "network"),
        (5, "member"),
        (6, "address_line1"),
    ]
    _, errors = sheet.check([row(), row(member="B", contact_email="b@example.org"), row(city="Perth")])
    assert [str(e) for e in errors] == [
        "Row 3, company_number: Row 2 has this company number.",
        "Row 4, city: Differs from row 2, the member's first row.",
    ]


def test_reading_refuses_other_files_and_wrong_headers():
    for filename, data, message in (
        ("members.txt", b"x", "Upload a .csv or .xlsx file."),
        ("members.csv", b"", "The file is empty"),
        ("members.csv", b"name,city\r\n", "The first row must name these columns"),
        ("members.csv", b"\xff\xfe", "not UTF-8"),
        ("members.xlsx", b"not a zip", "cannot be read"),
    ):
        try:
            sheet.read(filename, data)
        except sheet.SheetError as error:
            assert message in str(error), (filename, str(error))
        else:
            raise AssertionError(f"{filename} was read")


def test_an_xlsx_reads_back_what_was_written_leading_zeros_and_formula_like_text_included():
    rows = [row(company_number="0012345", member="=Sum Things Ltd", phone="+44 1382 000000")]
    read = sheet.read("m.xlsx", sheet.write_xlsx(rows))
    assert read == rows


def test_a_csv_with_a_bom_and_blank_trailing_rows_reads():
    text = "\ufeff" + HEADER + "\r\n" + ",".join(row().values()) + "\r\n,,,,,,,,,,,,,\r\n"
    assert sheet.read("m.csv", text.encode()) == [row()]


cell_text = st.text(alphabet=string.ascii_letters + string.digits + " '=+-@.,&", max_size=20)


@given(st.lists(st.fixed_dictionaries({column: cell_text for column in sheet.COLUMNS}), max_size=8))
def test_whatever_the_rows_every_error_names_a_real_row_and_column_and_the_plan_holds_only_clean_rows(rows):
    plan, errors = sheet.check(rows)
    for error in errors:
        assert 2 <= error.row <= len(rows) + 1 and error.column in sheet.COLUMNS and error.message
    error_rows = {e.row for e in errors}
    for member in plan.members:
        assert member.row not in error_rows
        assert rows[member.row - 2]["member"].lower() == member.name.lower()


@given(st.lists(st.fixed_dictionaries({column: cell_text for column in sheet.COLUMNS}), max_size=6))
def test_an_xlsx_round_trip_keeps_every_cell(rows):
    rows = [r for r in rows if any(v.strip() for v in r.values())]
    rows = [{k: v.strip() for k, v in r.items()} for r in rows]
    while rows and not any(rows[-1].values()):
        rows.pop()
    assert sheet.read("m.xlsx", sheet.write_xlsx(rows)) == rows
