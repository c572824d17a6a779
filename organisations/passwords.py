"""The password policy, in one place for every form that sets a password (reset, change, invitations).

NIST SP 800-63B's advice: a minimum length, no composition rules, and a check against passwords
known from breaches. The list is the 30,000 most common breached passwords that zxcvbn ships (no
network call); zxcvbn's estimate also catches variations of them, keyboard walks, repeats, dates
and the person's own name or email.
"""

import re

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn refuses longer input; a password this long that is weak in its first 72 characters is still weak.
_ESTIMATED_LENGTH = 72
# zxcvbn's 3: "safely unguessable", about 10^8 guesses or more.
MIN_SCORE = 3

_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str, user_inputs: list[str]) -> list[str]:
    """What is wrong with `password` as a new password, in words for the person; [] if nothing.

    `user_inputs` are things about the person (name, email, organisation) that their password
    should not be built from.
    """
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters: a few unrelated words make a strong one."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if password.lower() in _COMMON:
        return ["This password is one of the most common ones found in data breaches: choose another."]
    words = _words(user_inputs)
    if _only_these_words(password, words):
        return ["Do not build your password from your name or email address: anyone who knows you could guess it."]
    estimate = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=words)
    if estimate["score"] < MIN_SCORE:
        warning = estimate["feedback"]["warning"] or "This password would be easy to guess."
        return [f"{warning.rstrip('.')}. Add another word or two; uncommon words are better."]
    return []


def _only_these_words(password: str, words: list[str]) -> bool:
    """Whether the password's letters are nothing but the person's own words ("Morag-Member-2026")."""
    letters = re.sub(r"[^a-z]", "", password.lower())
    for word in sorted(words, key=len, reverse=True):
        letters = letters.replace(re.sub(r"[^a-z]", "", word), "")
    return len(letters) < 4


def _words(user_inputs: list[str]) -> list[str]:
    """Each input whole and in its words: "morag@re-tweed.org" also gives "morag", "re", "tweed"."""
    words: list[str] = []
    for text in user_inputs:
        if text:
            words.append(text.lower())
            words.extend(word for word in re.split(r"[^a-z0-9]+", text.lower()) if len(word) >= 3)
    return words
