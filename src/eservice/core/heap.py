"""Keeping the garbage collector's pauses short in long-running processes."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Exempt everything alive after startup from future collections.

    Modules, the app with its routes, schemas and OpenAPI document, SQLAlchemy's metadata: a
    few hundred thousand objects that live as long as the process. Each full collection
    walked them all, pausing every request in flight (bench/README.md); frozen,
    a full collection sees only what was made since. Garbage is collected first, so nothing
    dead is kept.
    """
    gc.collect()
    gc.freeze()
