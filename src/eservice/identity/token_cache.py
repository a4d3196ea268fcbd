"""Access tokens that passed verification, remembered until they expire (bounded LRU).

Verifying one of our access tokens is pure: signature, algorithm, audience, issuer and times,
no database. Its answer therefore holds until the token's ``exp``, and remembering it saves
the ES256 check and two JOSE decodes on every further request with that token.

Guarantees (tests/identity/test_verified_tokens.py):

- Only tokens that passed verification are stored, so garbage cannot fill the cache.
- An entry is used strictly before the token's ``exp``; from then on the token is verified
  again (and refused once the clock leeway has passed too), as without the cache.
- The key is the SHA-256 of the token together with the audience and issuer it was verified
  for: the process keeps no bearer token in memory, and a token verified for one audience does
  not pass for another.
- At most ``capacity`` entries; a full cache forgets the least recently used one.
- The cache belongs to one key set (``KeySet.verified``): when the keys change (a key removed
  after a compromise), the new key set starts empty, so removing a key revokes its tokens at
  once, exactly as without the cache. Nothing else revokes an access token (they live
  minutes; refresh tokens are the revocable ones).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eservice.identity.principal import Principal

DEFAULT_CAPACITY = 10_000


class VerifiedTokens:
    """A bounded LRU from a verified token to its principal, valid until the token's ``exp``."""

    __slots__ = ("_entries", "capacity")

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()

    @staticmethod
    def key(token: str, audience: str, issuer: str) -> bytes:
        digest = hashlib.sha256(token.encode())
        digest.update(b"\0" + audience.encode() + b"\0" + issuer.encode())
        return digest.digest()

    def get(self, token: str, audience: str, issuer: str) -> Principal | None:
        """The principal of a token verified before, if it has not expired."""
        key = self.key(token, audience, issuer)
        found = self._entries.get(key)
        if found is None:
            return None
        principal, expires = found
        if expires <= time.time():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return principal

    def put(
        self, token: str, audience: str, issuer: str, principal: Principal, expires: float
    ) -> None:
        """Remember a token that passed verification, until ``expires`` (its ``exp``)."""
        key = self.key(token, audience, issuer)
        self._entries[key] = (principal, expires)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
