"""Input of the data protection endpoints."""

from __future__ import annotations

from typing import Annotated

import msgspec


class AccountErasureIn(msgspec.Struct, forbid_unknown_fields=True):
    """Closing one's account needs the current password."""

    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
