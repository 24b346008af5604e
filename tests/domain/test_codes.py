import pytest
from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st

from domain.codes import (
    ALPHABET,
    COUPON_RANDOM_SYMBOLS,
    MalformedCode,
    display_coupon_code,
    new_coupon_code,
    new_share_token,
    normalise_coupon_code,
)

BODIES = st.text(ALPHABET, min_size=COUPON_RANDOM_SYMBOLS, max_size=COUPON_RANDOM_SYMBOLS)


def with_check(body):
    """A well-formed code for a body: the one check symbol that normalise accepts."""
    return next(code for code in (body + s for s in ALPHABET) if _accepted(code))


def _accepted(code):
    try:
        normalise_coupon_code(code)
    except MalformedCode:
        return False
    return True


def test_a_coupon_code_has_sixteen_symbols_from_the_alphabet():
    code = new_coupon_code()
    assert len(code) == 16
    assert set(code) <= set(ALPHABET)


def test_a_new_coupon_code_is_already_normal():
    for _ in range(50):
        code = new_coupon_code()
        assert normalise_coupon_code(code) == code


def test_new_codes_are_all_different():
    assert len({new_coupon_code() for _ in range(1000)}) == 1000
    assert len({new_share_token() for _ in range(1000)}) == 1000


def test_ambiguous_letters_are_never_produced():
    assert not set("ILOU") & set(ALPHABET)
    assert not set("ILOU") & set("".join(new_coupon_code() for _ in range(200)))


def test_typing_noise_is_folded_away():
    code = new_coupon_code()
    typed = " " + display_coupon_code(code).lower().replace("-", " - ", 1) + " "
    assert normalise_coupon_code(typed) == code


def test_o_is_read_as_zero_and_i_and_l_as_one():
    code = with_check("0" * 7 + "1" * 8)
    typed = "O" + "o" * 6 + "I" + "i" * 3 + "L" + "l" * 3 + code[-1]
    assert normalise_coupon_code(typed) == code


@settings(max_examples=300)
@for_all(BODIES, st.integers(0, COUPON_RANDOM_SYMBOLS), st.integers(1, len(ALPHABET) - 1))
def test_a_single_mistyped_symbol_is_caught(body, position, shift):
    code = with_check(body)
    wrong = ALPHABET[(ALPHABET.index(code[position]) + shift) % len(ALPHABET)]
    mistyped = code[:position] + wrong + code[position + 1 :]
    with pytest.raises(MalformedCode, match="check symbol"):
        normalise_coupon_code(mistyped)


@for_all(BODIES)
def test_every_body_has_exactly_one_check_symbol(body):
    assert sum(_accepted(body + s) for s in ALPHABET) == 1


@pytest.mark.parametrize("length", [0, 1, 15, 17, 20])
def test_a_code_of_the_wrong_length_is_refused(length):
    with pytest.raises(MalformedCode):
        normalise_coupon_code(("0123456789ABCDEFGHJK" * 2)[:length])


@pytest.mark.parametrize("bad", ["U", "*", "É", "_"])
def test_a_code_with_a_foreign_symbol_is_refused(bad):
    code = new_coupon_code()
    with pytest.raises(MalformedCode):
        normalise_coupon_code(code[:5] + bad + code[6:])


def test_a_code_is_displayed_in_groups_of_four():
    assert display_coupon_code("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS"


def test_a_displayed_code_reads_back_as_the_code():
    code = new_coupon_code()
    assert normalise_coupon_code(display_coupon_code(code)) == code
