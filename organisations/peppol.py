"""Peppol participant identifiers: a scheme from Peppol's Electronic Address Scheme (EAS) list and an identifier.

A Peppol document is addressed to each party's participant identifier (EndpointID). The schemes
are the EAS codes the Peppol BIS Billing 3.0 validation artefacts accept (tests compare this list
with the shipped rules); for UK organisations that is usually 9932 (the VAT number) or 0088 (a GS1
Global Location Number). Identifiers of a scheme with a known shape are checked here, so a
document never carries one that Peppol's rules (PEPPOL-COMMON-R040 for GLNs) would refuse.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.errors import ValidationFailed

UK_VAT = "9932"
GLN = "0088"
DUNS = "0060"
LEI = "0199"

SCHEMES: dict[str, str] = {
    "0002": "SIRENE (France)",
    "0007": "Organisationsnummer (Sweden)",
    "0009": "SIRET (France)",
    "0037": "LY-tunnus (Finland)",
    DUNS: "D-U-N-S number",
    GLN: "Global Location Number (GLN)",
    "0096": "Danish Chamber of Commerce",
    "0097": "FTI Ediforum Italia",
    "0106": "Chambers of Commerce (Netherlands)",
    "0130": "Directorates of the European Commission",
    "0135": "SIA object identifiers",
    "0142": "SECETI object identifiers",
    "0151": "Australian Business Number (ABN)",
    "0183": "Swiss business identification number (UIDB)",
    "0184": "DIGSTORG (Denmark)",
    "0188": "Corporate Number (Japan)",
    "0190": "Dutch originator's identification number",
    "0191": "Centre of Registers and Information Systems (Estonia)",
    "0192": "Enhetsregisteret (Norway)",
    "0193": "UBL.BE party identifier",
    "0195": "Unique Entity Number (Singapore)",
    "0196": "Kennitala (Iceland)",
    "0198": "ERSTORG (Denmark)",
    LEI: "Legal Entity Identifier (LEI)",
    "0200": "Legal entity code (Lithuania)",
    "0201": "Codice Univoco Unità Organizzativa iPA (Italy)",
    "0202": "Indirizzo di Posta Elettronica Certificata (Italy)",
    "0204": "Leitweg-ID (Germany)",
    "0208": "Enterprise number (Belgium)",
    "0209": "GS1 identification keys",
    "0210": "Codice Fiscale (Italy)",
    "0211": "Partita IVA (Italy)",
    "0212": "Finnish organisation identifier",
    "0213": "Finnish organisation VAT identifier",
    "0215": "Net service ID (Finland)",
    "0216": "OVTcode (Finland)",
    "0218": "Unified registration number (Latvia)",
    "0221": "Registered number of a qualified invoice issuer (Japan)",
    "0230": "National e-invoicing framework (Malaysia)",
    "9901": "Danish Ministry of the Interior and Health",
    "9910": "Hungary VAT number",
    "9913": "Business Registers Network",
    "9914": "Austria VAT number",
    "9915": "Austrian administration and organisation code",
    "9918": "SWIFT",
    "9919": "Kennziffer des Unternehmensregisters (Austria)",
    "9920": "Agencia Española de Administración Tributaria",
    "9922": "Andorra VAT number",
    "9923": "Albania VAT number",
    "9924": "Bosnia and Herzegovina VAT number",
    "9925": "Belgium VAT number",
    "9926": "Bulgaria VAT number",
    "9927": "Switzerland VAT number",
    "9928": "Cyprus VAT number",
    "9929": "Czech Republic VAT number",
    "9930": "Germany VAT number",
    "9931": "Estonia VAT number",
    UK_VAT: "United Kingdom VAT number",
    "9933": "Greece VAT number",
    "9934": "Croatia VAT number",
    "9935": "Ireland VAT number",
    "9936": "Liechtenstein VAT number",
    "9937": "Lithuania VAT number",
    "9938": "Luxembourg VAT number",
    "9939": "Latvia VAT number",
    "9940": "Monaco VAT number",
    "9941": "Montenegro VAT number",
    "9942": "North Macedonia VAT number",
    "9943": "Malta VAT number",
    "9944": "Netherlands VAT number",
    "9945": "Poland VAT number",
    "9946": "Portugal VAT number",
    "9947": "Romania VAT number",
    "9948": "Serbia VAT number",
    "9949": "Slovenia VAT number",
    "9950": "Slovakia VAT number",
    "9951": "San Marino VAT number",
    "9952": "Turkey VAT number",
    "9953": "Holy See (Vatican City State) VAT number",
    "9957": "France VAT number",
    "9959": "Employer Identification Number (USA)",
}

MAX_LENGTH = 50
_UK_VAT = re.compile(r"(?:GB)?([0-9]{9}|[0-9]{12})")
_ANY = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_:/]*")


@dataclass(frozen=True)
class Participant:
    """Where a party receives Peppol documents, e.g. 9932:GB284719365."""

    scheme: str
    identifier: str

    @property
    def is_registry_code(self) -> bool:
        """Whether the scheme is also an ISO 6523 ICD code (0xxx): a party identifier's schemeID may name only those."""
        return self.scheme.startswith("0")

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


def participant(scheme: str | None, identifier: str | None) -> Participant | None:
    """The identifier as typed, tidied (spaces out, letters upper case), or a field error; None when both are empty."""
    scheme = (scheme or "").strip()
    identifier = "".join((identifier or "").split()).upper()
    if not scheme and not identifier:
        return None
    if not scheme:
        raise ValidationFailed.field("peppol_scheme", "Choose the Peppol ID's scheme, e.g. 9932 for a UK VAT number.")
    if scheme not in SCHEMES:
        raise ValidationFailed.field("peppol_scheme", "Choose a scheme from Peppol's list.")
    if not identifier:
        raise ValidationFailed.field("peppol_id", "Enter the Peppol ID, or choose no scheme.")
    problem = _shape_problem(scheme, identifier)
    if problem:
        raise ValidationFailed.field("peppol_id", problem)
    if scheme == UK_VAT:
        identifier = "GB" + identifier.removeprefix("GB")
    return Participant(scheme, identifier)


def vat_participant(vat_number: str | None) -> Participant | None:
    """A UK VAT number as a participant identifier (scheme 9932), when it is one."""
    identifier = "".join((vat_number or "").split()).upper()
    if not _UK_VAT.fullmatch(identifier):
        return None
    return Participant(UK_VAT, "GB" + identifier.removeprefix("GB"))


def _shape_problem(scheme: str, identifier: str) -> str | None:
    if scheme == UK_VAT and not _UK_VAT.fullmatch(identifier):
        return "A 9932 Peppol ID is a UK VAT number, e.g. GB123456789."
    if scheme == GLN and not (
        re.fullmatch(r"[0-9]{13}", identifier) and identifier[-1] == gs1_check_digit(identifier[:-1])
    ):
        return "A GLN has 13 digits, the last a check digit: check the number."
    if scheme == DUNS and not re.fullmatch(r"[0-9]{9}", identifier):
        return "A D-U-N-S number has 9 digits."
    if scheme == LEI and not (re.fullmatch(r"[A-Z0-9]{18}[0-9]{2}", identifier) and lei_check_digits_ok(identifier)):
        return "An LEI has 20 letters and digits, the last two check digits: check the code."
    if len(identifier) > MAX_LENGTH or not _ANY.fullmatch(identifier):
        return f"Use at most {MAX_LENGTH} letters, digits and the signs - . _ : /"
    return None


def gs1_check_digit(body: str) -> str:
    """GS1's mod 10 check digit for the digits before it: from the right, weights 3, 1, 3..."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def lei_check_digits_ok(code: str) -> bool:
    """ISO 17442 (ISO 7064 MOD 97-10): letters as 10..35, the whole number leaves 1 modulo 97."""
    return int("".join(str(int(c, 36)) for c in code)) % 97 == 1
