"""What the identity context forgets: an account's personal data, tokens and throttle rows."""

from __future__ import annotations

# The tables whose rows about a person this context removes (see eservice.privacy.registry and
# its schema test). Tokens go with their account (ON DELETE CASCADE) or are revoked first.
FORGETS = frozenset({"users", "refresh_tokens", "account_tokens"})
