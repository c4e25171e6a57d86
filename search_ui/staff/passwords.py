"""Staff passwords, hashed with Argon2id (argon2-cffi's `PasswordHasher`, its recommended parameters).

Only hashes reach the store; verification is constant-time in the library, and a hash made with older
parameters is upgraded on the next successful sign-in (`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
"""Shorter staff passwords are refused by `unioncat staff add` (a passphrase is easier than symbols)."""
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("unioncat: no such account")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a staff password needs at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown account costs the same time as a wrong password."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
