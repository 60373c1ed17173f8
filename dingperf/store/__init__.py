"""The store: SQLModel tables (`tables`), engine and sessions (`engine`), repositories (`repositories`) and
Alembic migrations (`migrate`). Importing it opens no connection."""

from __future__ import annotations

from dingperf.store.engine import (
    LeaseLost,
    NotFound,
    Store,
    StoreError,
    create_store_engine,
    open_store,
    store_for,
)

__all__ = ["LeaseLost", "NotFound", "Store", "StoreError", "create_store_engine", "open_store", "store_for"]
