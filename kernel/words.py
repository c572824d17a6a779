"""The users' words around numbers: plurals, "a" or "an", quantities with their units, prices to the penny.

Pure (no Flask, no database) so emails, CSVs, flashes and pages all say the same thing.
"""

import re
from decimal import Decimal
from typing import Protocol

# Words that start with a vowel letter but a consonant sound ("a user"), or the reverse ("an hour").
_CONSONANT_SOUND = re.compile(r"(uni|use|usu|uti|ure|eu|ewe|one\b|once\b)", re.IGNORECASE)
_VOWEL_SOUND = re.compile(r"(hour|honest|honou?r|heir)", re.IGNORECASE)
# Letters that, as an abbreviation, are said with a vowel sound first ("an SMS", "an HR advice line").
_VOWEL_LETTERS = set("AEFHILMNORSX")
_NUMBER_AT_START = re.compile(r"^\d[\d,.]*\s")


class Counted(Protocol):
    """Anything sold in a unit: an offer, or the unit copied onto a purchase order."""

    unit: str
    unit_plural: str
    pack_size: int


def plural(word: str) -> str:
    """The usual English plural of a unit's last word: ream -> reams, box -> boxes, kWh stays kWh.

    Only a default: an offer keeps its own plural, which its supplier can correct.
    """
    if not word or _NUMBER_AT_START.match(word):
        return word
    if " of " in word:
        first, of, rest = word.partition(" of ")
        return f"{plural(first)}{of}{rest}"
    head, sep, last = word.rpartition(" ")
    if last[:1].isdigit() or any(c.isupper() for c in last[1:]) or not last[-1:].isalpha():
        return word
    lower = last.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head}{sep}{last}"


def article(word: str) -> str:
    """ "a" or "an" as the word is said: an assessment, a user, an hour, an HR line, a kWh."""
    letters = word.lstrip()
    if not letters:
        return "a"
    initial = re.match(r"[A-Z]{2,}", letters)
    if initial:
        return "an" if letters[0] in _VOWEL_LETTERS else "a"
    if _VOWEL_SOUND.match(letters):
        return "an"
    if letters[0].lower() in "aeiou" and not _CONSONANT_SOUND.match(letters):
        return "an"
    return "a"


def with_article(word: str) -> str:
    return f"{article(word)} {word}"


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 hour", "20 hours", "1,500 reams": the number with the right form of its noun."""
    noun = singular if n == 1 else (plural_form if plural_form is not None else plural(singular))
    return f"{n:,} {noun}"


def quantity(n: int, thing: Counted) -> str:
    """A quantity in the offer's own unit: "20 cartridges", "1 hour", "6 packs of 1,000 leaflets"."""
    return counted(n, thing.unit, thing.unit_plural)


def packs(n: int, thing: Counted) -> str:
    """Whole packs as they are ordered: "4 packs of 5 reams", or the units themselves when a pack is one unit."""
    if thing.pack_size == 1:
        return quantity(n, thing)
    return f"{counted(n, 'pack')} of {quantity(thing.pack_size, thing)}"


def default_units(unit: str) -> tuple[str, str]:
    """An offer's first singular and plural: a unit that counts itself ("1,000 leaflets") becomes a pack of it."""
    unit = unit.strip()
    if _NUMBER_AT_START.match(unit):
        return f"pack of {unit}", f"packs of {unit}"
    return unit, plural(unit)


def price_places(value: Decimal) -> int:
    """Decimal places a unit price needs: 2 for whole pennies, else as many (up to 4) as its fraction of a penny."""
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return max(2, places)


def price_text(value: Decimal) -> str:
    """£3.85, £1,234.50, £0.2175: a unit price to the penny, or to the fraction of a penny it has."""
    places = price_places(value)
    return f"{'-' if value < 0 else ''}£{abs(value):,.{places}f}"


def pence_text(pence: int) -> str:
    """£1,234.56 from integer pence; negative amounts as -£12.30."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def per_unit(value: Decimal, thing: Counted) -> str:
    """ "£3.85 a ream", "£45.00 an hour": a unit price in the offer's words."""
    return f"{price_text(value)} {with_article(thing.unit)}"
