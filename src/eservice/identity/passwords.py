"""Argon2id password and secret hashing, and the password policy."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from eservice.core.config import Settings
from eservice.core.errors import FieldError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

# A short list of passwords that meet the length rule yet appear in every breach corpus.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456123456",
        "111111111111",
        "000000000000",
        "qwertyuiopas",
        "qwertzuiopü+",
        "qwertyuiop12",
        "qwertyuiop123",
        "qwertzuiop12",
        "qwertzuiop123",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "passwordpassword",
        "password1234",
        "password12345",
        "password123456",
        "passwort1234",
        "passwort12345",
        "passwort123456",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "willkommen12",
        "willkommen123",
        "administrator",
        "administrator1",
        "adminadmin123",
        "changeme1234",
        "sommer2024!!",
        "sommer2025!!",
        "sommer2026!!",
        "winter2024!!",
        "winter2025!!",
        "winter2026!!",
        "hallohallo12",
        "abcdefghijkl",
        "abcdefgh1234",
        "abc123abc123",
        "aaaaaaaaaaaa",
        "trustno1trustno1",
        "football1234",
        "fussball1234",
        "baseball1234",
        "superman1234",
        "starwars1234",
        "monkey123456",
        "dragon123456",
        "sunshine1234",
        "princess1234",
        "master123456",
        "eservice1234",
    }
)


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID)


def password_hasher(settings: Settings) -> PasswordHasher:
    """The Argon2id hasher for the configured cost (cheap in tests, strong elsewhere)."""
    testing = settings.env == "test"
    time_cost = settings.password_hash_time_cost or (1 if testing else 3)
    memory_kib = settings.password_hash_memory_kib or (1024 if testing else 65536)
    return _hasher(time_cost, memory_kib)


def hash_secret(settings: Settings, secret: str) -> str:
    return password_hasher(settings).hash(secret)


def verify_secret(settings: Settings, stored_hash: str | None, secret: str) -> bool:
    """True when ``secret`` matches; a missing or broken hash never matches."""
    hasher = password_hasher(settings)
    if stored_hash is None:
        # Spend the same effort as a real check, so timing reveals nothing.
        hasher.hash(secret)
        return False
    try:
        return hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: Settings, stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones."""
    try:
        return password_hasher(settings).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problems(
    password: str, *, email: str | None = None, pointer: str = "/password"
) -> list[FieldError]:
    """What is wrong with a new password (empty when it is acceptable)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [
            FieldError(
                pointer,
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters long. "
                f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.",
            )
        ]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [
            FieldError(
                pointer,
                f"Password must be at most {MAX_PASSWORD_LENGTH} characters long. "
                f"Das Passwort darf höchstens {MAX_PASSWORD_LENGTH} Zeichen lang sein.",
            )
        ]
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4:
        return [
            FieldError(
                pointer,
                "This password is too common; choose another one. "
                "Dieses Passwort ist zu verbreitet; bitte wählen Sie ein anderes.",
            )
        ]
    if email and lowered in {email.lower(), email.lower().split("@", 1)[0]}:
        return [
            FieldError(
                pointer,
                "Password must not be your email address. "
                "Das Passwort darf nicht Ihre E-Mail-Adresse sein.",
            )
        ]
    return []
