"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from battlemap.geodata.errors import BattlemapError

__all__ = ["MIN_LENGTH", "check_new_password", "hash_password", "verify_password"]

MIN_LENGTH = 8
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password (no user enumeration by timing).
_DUMMY = _HASHER.hash("battlemap-no-such-user")


def check_new_password(password: str) -> str:
    """The password if acceptable; a BattlemapError saying why not otherwise."""
    if len(password) < MIN_LENGTH:
        raise BattlemapError(f"the password must have at least {MIN_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """An Argon2id hash string (salt and parameters inside)."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; a missing hash is checked against a dummy."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
