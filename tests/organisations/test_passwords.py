"""The password policy every form that sets a password uses (organisations.passwords)."""

from hypothesis import given
from hypothesis import strategies as st
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from organisations.passwords import MAX_LENGTH, MIN_LENGTH, check_new_password

PERSON = ["Morag Member", "morag@re-tweed.example.org"]


@given(st.text(max_size=MIN_LENGTH - 1))
def test_anything_shorter_than_the_minimum_is_refused(password):
    assert check_new_password(password, PERSON) == [
        f"Use at least {MIN_LENGTH} characters: a few unrelated words make a strong one."
    ]


@given(st.text(min_size=MAX_LENGTH + 1, max_size=MAX_LENGTH + 50))
def test_anything_longer_than_the_maximum_is_refused(password):
    assert check_new_password(password, PERSON) == [f"Use at most {MAX_LENGTH} characters."]


@given(st.sampled_from([p for p in FREQUENCY_LISTS["passwords"] if len(p) >= MIN_LENGTH]), st.booleans())
def test_every_breached_common_password_is_refused_in_any_case(password, upper):
    errors = check_new_password(password.upper() if upper else password, PERSON)
    assert len(errors) == 1 and errors[0] != ""


@given(
    st.lists(st.sampled_from(["morag", "member", "tweed", "Morag", "MEMBER"]), min_size=2, max_size=4),
    st.text("-_.!0123456789", max_size=6),
)
def test_a_password_made_of_the_persons_own_words_is_refused(words, filler):
    password = filler.join(words) + filler
    if len(password) >= MIN_LENGTH:
        assert check_new_password(password, PERSON) == [
            "Do not build your password from your name or email address: anyone who knows you could guess it."
        ]


def test_a_few_unrelated_words_pass():
    assert check_new_password("plum-orchard-kettle-73", PERSON) == []
    assert check_new_password("correct-horse-battery", PERSON) == []


def test_keyboard_walks_and_repeats_are_refused_with_the_reason():
    assert "Repeats" in check_new_password("abcabcabcabcabc", PERSON)[0]
    assert check_new_password("qwertyuiop[]asdf", PERSON) != []
