"""Authenticator codes and recovery codes (organisations.totp): pure, tested without the app."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from organisations import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


@given(moments, st.integers(min_value=-1, max_value=1))
def test_a_code_is_accepted_for_its_step_and_one_either_side(moment, drift):
    step = totp.step_at(moment) + drift
    assert totp.accepted_step(SECRET, totp.code_at(SECRET, step), moment, None) == step


@given(moments, st.sampled_from([-3, -2, 2, 3, 10]))
def test_a_code_from_further_away_is_refused(moment, drift):
    step = totp.step_at(moment) + drift
    code = totp.code_at(SECRET, step)
    neighbours = {totp.code_at(SECRET, totp.step_at(moment) + d) for d in (-1, 0, 1)}
    if code not in neighbours:  # one in a million: two steps share a code
        assert totp.accepted_step(SECRET, code, moment, None) is None


@given(moments)
def test_a_code_never_works_twice(moment):
    code = totp.code_at(SECRET, totp.step_at(moment))
    used = totp.accepted_step(SECRET, code, moment, None)
    assert used is not None
    assert totp.accepted_step(SECRET, code, moment + timedelta(seconds=20), used) is None


def test_codes_are_read_leniently_but_must_be_six_digits():
    moment = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    code = totp.code_at(SECRET, totp.step_at(moment))
    assert totp.accepted_step(SECRET, f"{code[:3]} {code[3:]}", moment, None) is not None
    assert totp.accepted_step(SECRET, code[:5], moment, None) is None
    assert totp.accepted_step(SECRET, "abcdef", moment, None) is None


def test_recovery_codes_are_distinct_and_hash_the_same_however_typed():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODE_COUNT
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    code = codes[0]
    assert totp.hash_recovery_code(code) == totp.hash_recovery_code(f" {code.upper().replace('-', '')} ")
    assert totp.hash_recovery_code(code) != totp.hash_recovery_code(codes[1])


def test_the_setup_address_names_the_site_and_the_person():
    uri = totp.setup_uri(SECRET, "sam@example.org")
    assert uri.startswith("otpauth://totp/Consortia%20Marketplace:sam%40example.org?secret=" + SECRET)
    assert totp.qr_code_svg_data_uri(uri).startswith("data:image/svg+xml")
