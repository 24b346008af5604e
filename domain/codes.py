"""Human-friendly random codes: Crockford base32 with a check symbol.

Coupon codes carry 75 random bits, share tokens 60: unguessable, yet a code can be
read aloud, typed from a screen or scanned. Ambiguous letters (I, L, O, U) are
never produced and are folded when typed.
"""

import secrets

from domain.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FOLD = str.maketrans({"I": "1", "L": "1", "O": "0"})
COUPON_RANDOM_SYMBOLS = 15
SHARE_TOKEN_SYMBOLS = 12


class MalformedCode(InvalidInput):
    """The text is not a well-formed code (wrong length, letters or check symbol)."""

    slug = "malformed-code"
    title = "Not a well-formed code"


def _check_symbol(symbols: str) -> str:
    # Odd weights are invertible mod 32, so any single mistyped symbol changes the check.
    total = sum((2 * index + 1) * ALPHABET.index(s) for index, s in enumerate(symbols))
    return ALPHABET[total % len(ALPHABET)]


def new_coupon_code() -> str:
    """A fresh coupon code: 15 random symbols and one check symbol."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(COUPON_RANDOM_SYMBOLS))
    return body + _check_symbol(body)


def new_share_token() -> str:
    """A fresh share token for invitation links and QR scenes."""
    return "".join(secrets.choice(ALPHABET) for _ in range(SHARE_TOKEN_SYMBOLS))


def normalise_coupon_code(text: str) -> str:
    """The canonical form of a typed or scanned coupon code, or MalformedCode."""
    code = text.strip().upper().replace("-", "").replace(" ", "").translate(_FOLD)
    if len(code) != COUPON_RANDOM_SYMBOLS + 1 or any(c not in ALPHABET for c in code):
        raise MalformedCode(f"{text!r} is not a coupon code")
    if _check_symbol(code[:-1]) != code[-1]:
        raise MalformedCode(f"{text!r} fails its check symbol: mistyped?")
    return code


def display_coupon_code(code: str) -> str:
    """The code grouped in fours for printing: ABCD-EFGH-JKMN-PQRS."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
