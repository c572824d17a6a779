"""A UK bank account to be paid into: the name on it, its sort code and account number.

One rule for the admin form and the service: the three go together (a sort code without
an account number, or numbers without the name the bank checks against, cannot be paid
into), and they are stored as bare digits, however they were typed.
"""

import re
from dataclasses import dataclass

from kernel.errors import ValidationFailed

SORT_CODE = re.compile(r"^([0-9]{2})([- ]?)([0-9]{2})\2([0-9]{2})$")
ACCOUNT_NUMBER = re.compile(r"^[0-9]{8}$")
NAME_LENGTH = 100

SORT_CODE_MESSAGE = "Enter a 6-digit sort code, e.g. 12-34-56."
ACCOUNT_NUMBER_MESSAGE = "Enter an 8-digit account number, e.g. 12345678."


@dataclass(frozen=True)
class BankAccount:
    name: str | None
    sort_code: str | None
    account_number: str | None


def bank_account(name: str | None, sort_code: str | None, account_number: str | None) -> BankAccount:
    """The account as stored ("123456", "12345678"), or all None when nothing was given.

    Raises ValidationFailed naming each field that is wrong, so a form shows them all at once.
    """
    name, sort_code, account_number = ((value or "").strip() for value in (name, sort_code, account_number))
    if not (name or sort_code or account_number):
        return BankAccount(None, None, None)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["bank_account_name"] = ["Enter the name on the account, as the bank has it."]
    elif len(name) > NAME_LENGTH:
        errors["bank_account_name"] = [f"At most {NAME_LENGTH} characters."]
    sort_match = SORT_CODE.match(sort_code)
    if not sort_match:
        errors["bank_sort_code"] = [SORT_CODE_MESSAGE]
    if not ACCOUNT_NUMBER.match(account_number):
        errors["bank_account_number"] = [ACCOUNT_NUMBER_MESSAGE]
    if errors or sort_match is None:
        raise ValidationFailed("Check the bank details.", errors)
    return BankAccount(name, "".join(sort_match.group(1, 3, 4)), account_number)
