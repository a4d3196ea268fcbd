"""Human-readable, unguessable request references (Aktenzeichen) such as ``HL-2026-7K3M9QXD``."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

# Crockford-style alphabet without the look-alikes 0/O, 1/I/L and U: easy to read aloud.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 8  # 30**8 ~ 6.6e11 combinations per year and prefix
REFERENCE_RE = re.compile(r"^[A-Z]{1,8}-\d{4}-[" + ALPHABET + "]{" + str(RANDOM_LENGTH) + "}$")


def new_reference(prefix: str, now: datetime) -> str:
    """A fresh reference: prefix, year, and random characters from a cryptographic source."""
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{prefix.upper()}-{now.year:04d}-{random_part}"
