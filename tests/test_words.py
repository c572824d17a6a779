"""The words around numbers: plurals, articles, quantities in the offer's unit, prices to the penny."""

import re
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from kernel import words

lower_words = st.from_regex(r"[a-z]{2,12}", fullmatch=True)


def offer(unit, plural, pack_size=1):
    return SimpleNamespace(unit=unit, unit_plural=plural, pack_size=pack_size)


def test_units_plural_and_singular_from_the_offer():
    cartridge = offer("cartridge", "cartridges")
    assert words.quantity(20, cartridge) == "20 cartridges"
    assert words.quantity(1, offer("hour", "hours")) == "1 hour"
    assert words.quantity(1500, offer("ream", "reams")) == "1,500 reams"
    assert words.quantity(0, cartridge) == "0 cartridges"


def test_a_unit_that_counts_itself_is_sold_in_packs_of_it():
    singular, plural = words.default_units("1,000 leaflets")
    leaflets = offer(singular, plural)
    assert words.quantity(6, leaflets) == "6 packs of 1,000 leaflets"
    assert words.quantity(1, leaflets) == "1 pack of 1,000 leaflets"


def test_packs_name_their_content():
    assert words.packs(4, offer("ream", "reams", 5)) == "4 packs of 5 reams"
    assert words.packs(1, offer("envelope", "envelopes", 250)) == "1 pack of 250 envelopes"
    assert words.packs(3, offer("hour", "hours")) == "3 hours"


def test_usual_plurals_and_units_that_do_not_change():
    cases = {
        "ream": "reams",
        "box": "boxes",
        "copy": "copies",
        "day": "days",
        "seat-month": "seat-months",
        "kWh": "kWh",
        "pack of 1,000 leaflets": "packs of 1,000 leaflets",
    }
    assert {w: words.plural(w) for w in cases} == cases


def test_articles_as_the_word_is_said():
    said = ["an assessment", "a user", "an hour", "a ream", "an HR line", "a kWh", "an organisation", "a one-off"]
    assert [words.with_article(phrase.split(" ", 1)[1]) for phrase in said] == said


def test_unit_prices_to_the_penny_or_the_fraction_they_have():
    assert words.per_unit(Decimal("3.8500"), offer("ream", "reams")) == "£3.85 a ream"
    assert words.price_text(Decimal("0.2175")) == "£0.2175"
    assert words.price_text(Decimal("1234.5")) == "£1,234.50"
    assert words.price_text(Decimal("0.2170")) == "£0.217"
    assert words.pence_text(123456) == "£1,234.56"
    assert words.pence_text(-1230) == "-£12.30"


@given(lower_words, st.integers(min_value=0, max_value=10**9))
def test_one_is_singular_and_every_other_count_plural(word, n):
    text = words.counted(n, word)
    assert text.startswith(f"{n:,} ")
    assert text.endswith(word if n == 1 else words.plural(word))


@given(lower_words)
def test_a_plural_keeps_the_word_and_adds_an_ending(word):
    result = words.plural(word)
    stem = word[:-1] if result.endswith("ies") else word
    assert result.startswith(stem) and result != word and re.fullmatch(r"[a-z]+", result)


@given(lower_words)
def test_the_article_is_a_or_an_and_an_only_before_a_vowel_or_silent_h(word):
    article = words.article(word)
    assert article in ("a", "an")
    if article == "an":
        assert word[0] in "aeiouh"
    else:
        assert word[0] not in "ai"


@given(st.decimals(min_value=Decimal("-99999999.9999"), max_value=Decimal("99999999.9999"), places=4))
def test_a_price_shows_exactly_its_value_with_two_to_four_places(value):
    text = words.price_text(value)
    assert re.fullmatch(r"-?£\d{1,3}(,\d{3})*\.\d{2,4}", text)
    assert Decimal(text.replace("£", "").replace(",", "")) == value
    places = len(text.rsplit(".", 1)[1])
    assert places == 2 or not text.endswith("0")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_pence_as_pounds_round_trips(pence):
    text = words.pence_text(pence)
    assert int(Decimal(text.replace("£", "").replace(",", "")) * 100) == pence
