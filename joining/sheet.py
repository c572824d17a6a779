"""A consortium's membership as a sheet (CSV or XLSX): reading, writing, and checking it row by row.

Pure: no Flask, no database, so the rules are tested directly and the import's preview is exactly
what the import then makes. One row per member's contact person; a member's details repeat on
each of its contacts' rows and must agree; a row with only a network names a network without members.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook

from kernel.text import has_control_characters
from organisations.enums import TurnoverBand

COLUMNS = (
    "network",
    "member",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "organisation_email",
    "phone",
    "vat_number",
    "company_number",
    "turnover_band",
    "headcount",
    "contact_name",
    "contact_email",
)
MEMBER_COLUMNS = COLUMNS[1:12]
REQUIRED_FOR_MEMBER = ("address_line1", "city", "postcode", "organisation_email", "turnover_band")
LENGTHS = {
    "network": 100,
    "member": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "postcode": 10,
    "organisation_email": 254,
    "phone": 30,
    "vat_number": 14,
    "company_number": 10,
    "contact_name": 100,
    "contact_email": 254,
}
MAX_ROWS = 5_000
MAX_HEADCOUNT = 100_000
UK_POSTCODE = re.compile(r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$")
UK_VAT = re.compile(r"^(GB)?([0-9]{9}|[0-9]{12})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BANDS = {band.value: band for band in TurnoverBand}


class SheetError(ValueError):
    """The file as a whole cannot be read: not CSV or XLSX, no header, or the wrong columns."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class MemberRow:
    """A member as the sheet describes it, with the contact people to invite."""

    row: int
    network: str
    details: dict[str, str | None]
    turnover_band: TurnoverBand
    headcount: int
    contacts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.details["member"] or ""


@dataclass
class Plan:
    """What the sheet would make: networks (by name, in order) and members."""

    networks: list[str] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)

    @property
    def contact_count(self) -> int:
        return sum(len(m.contacts) for m in self.members)


# Reading and writing


def read(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a .csv or .xlsx file as text by column name."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise SheetError("Upload a .csv or .xlsx file.")
    if not table:
        raise SheetError("The file is empty: the first row must name the columns.")
    header = [cell.strip().lower() for cell in table[0]]
    while header and not header[-1]:
        header.pop()
    if tuple(header) != COLUMNS:
        raise SheetError("The first row must name these columns, in this order: " + ", ".join(COLUMNS) + ".")
    rows = [dict(zip(COLUMNS, _padded(row), strict=True)) for row in table[1:]]
    while rows and not any(rows[-1].values()):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise SheetError(f"The file has {len(rows):,} rows; import at most {MAX_ROWS:,} at a time.")
    return rows


def _padded(row: list[str]) -> list[str]:
    cells = [cell.strip() for cell in row[: len(COLUMNS)]]
    return cells + [""] * (len(COLUMNS) - len(cells))


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.") from None
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise SheetError(f"The CSV file cannot be read: {error}.") from None


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise SheetError("The XLSX file cannot be read; save it again from your spreadsheet as .xlsx.") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table(rows: Iterable[dict[str, str]]) -> list[list[str]]:
    """The rows as lists in column order, for kernel.csv_export (which guards formulas and adds the BOM)."""
    return [[row.get(column) or "" for column in COLUMNS] for row in rows]


def write_xlsx(rows: Iterable[dict[str, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Membership"
    sheet.append(list(COLUMNS))
    for row in rows:
        # Every cell as text, so a company number keeps its leading zeros and nothing is taken for a formula.
        sheet.append([row.get(column) or "" for column in COLUMNS])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _unsafe(value: str) -> str:
    """A cell an export guarded against running as a formula (kernel.csv_export) read back as it was."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS and value[1:2] != "" else value


# Checking


def check(rows: list[dict[str, str]]) -> tuple[Plan, list[RowError]]:
    """The plan the rows describe and every error in them, each named by row and column."""
    plan, errors = Plan(), []
    networks: dict[str, str] = {}
    members: dict[str, MemberRow] = {}
    company_numbers: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):
        row = {column: _unsafe(value) for column, value in raw.items()}
        row_errors = _cell_errors(number, row)
        errors += row_errors
        network = row["network"]
        if network and network.lower() not in networks:
            networks[network.lower()] = network
            plan.networks.append(network)
        if row_errors or not row["member"]:
            continue
        errors += _member_row(number, row, networks[network.lower()], members, company_numbers, plan)
    return plan, errors


def _cell_errors(number: int, row: dict[str, str]) -> list[RowError]:
    errors = []
    for column, value in row.items():
        if has_control_characters(value):
            errors.append(RowError(number, column, "Remove the control character (an invisible character)."))
        elif column in LENGTHS and len(value) > LENGTHS[column]:
            errors.append(RowError(number, column, f"Keep it to {LENGTHS[column]} characters."))
    if errors:
        return errors
    if not row["network"]:
        errors.append(RowError(number, "network", "Name the network."))
    if not row["member"]:
        filled = [column for column in COLUMNS[2:] if row[column]]
        if filled:
            errors.append(RowError(number, "member", "Name the member these details belong to."))
        return errors
    errors += [
        RowError(number, column, "Fill this in for every member.") for column in REQUIRED_FOR_MEMBER if not row[column]
    ]
    if row["postcode"] and not UK_POSTCODE.match(row["postcode"]):
        errors.append(RowError(number, "postcode", "Enter a UK postcode, e.g. DD1 4HN."))
    for column in ("organisation_email", "contact_email"):
        if row[column] and not EMAIL.match(row[column]):
            errors.append(RowError(number, column, "Enter an email address, e.g. office@example.org."))
    if row["vat_number"] and not UK_VAT.match("".join(row["vat_number"].split()).upper()):
        errors.append(RowError(number, "vat_number", "Enter a UK VAT number, e.g. GB123456789."))
    if row["turnover_band"] and row["turnover_band"] not in BANDS:
        errors.append(RowError(number, "turnover_band", "Use one of: " + ", ".join(BANDS) + "."))
    if row["headcount"] and not (row["headcount"].isdigit() and int(row["headcount"]) <= MAX_HEADCOUNT):
        errors.append(RowError(number, "headcount", f"Enter a whole number from 0 to {MAX_HEADCOUNT:,}."))
    if bool(row["contact_name"]) != bool(row["contact_email"]):
        missing = "contact_email" if row["contact_name"] else "contact_name"
        errors.append(RowError(number, missing, "Give the contact person's name and email together."))
    return errors


def _member_row(
    number: int,
    row: dict[str, str],
    network: str,
    members: dict[str, MemberRow],
    company_numbers: dict[str, int],
    plan: Plan,
) -> list[RowError]:
    details: dict[str, str | None] = {column: row[column] or None for column in MEMBER_COLUMNS}
    details["postcode"] = row["postcode"].upper()
    details["organisation_email"] = row["organisation_email"].lower()
    if row["vat_number"]:
        details["vat_number"] = "".join(row["vat_number"].split()).upper()
    key = row["member"].lower()
    seen = members.get(key)
    errors = []
    if seen is None:
        company = (details["company_number"] or "").upper()
        if company and company in company_numbers:
            return [RowError(number, "company_number", f"Row {company_numbers[company]} has this company number.")]
        if company:
            company_numbers[company] = number
        seen = MemberRow(
            number, network, details, BANDS[row["turnover_band"]], int(row["headcount"]) if row["headcount"] else 1
        )
        members[key] = seen
        plan.members.append(seen)
    else:
        if seen.network.lower() != network.lower():
            errors.append(RowError(number, "network", f"Row {seen.row} puts this member in {seen.network}."))
        errors += [
            RowError(number, column, f"Differs from row {seen.row}, the member's first row.")
            for column in MEMBER_COLUMNS
            if column != "member" and (details[column] or "") != (seen.details[column] or "")
        ]
        if errors:
            return errors
    if row["contact_email"]:
        email = row["contact_email"].lower()
        if any(email == known for _, known in seen.contacts):
            return [RowError(number, "contact_email", "This contact is listed for this member already.")]
        seen.contacts.append((row["contact_name"], email))
    return errors


def member_rows(network: str, details: dict[str, str | None], contacts: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The export's rows for one member: one per contact, or one without a contact."""
    base = {"network": network} | {column: details.get(column) or "" for column in MEMBER_COLUMNS}
    if not contacts:
        return [base | {"contact_name": "", "contact_email": ""}]
    return [base | {"contact_name": name, "contact_email": email} for name, email in contacts]
