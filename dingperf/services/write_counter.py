"""Count the rows a piece of work writes (INSERT/UPDATE/DELETE statements per table), to prove that a
re-sync of an unchanged org writes nothing."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)


@dataclass
class WriteCount:
    """Rows written per table while the counter was active (executemany counts each parameter set)."""

    by_table: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> int:
        return sum(self.by_table.values())


@contextmanager
def count_writes(engine: Engine, tables: Iterable[str] | None = None) -> Iterator[WriteCount]:
    """Within the block, count write statements on `tables` (all tables when None) through `engine`."""
    wanted = set(tables) if tables is not None else None
    counted = WriteCount()

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        match = _WRITE.match(statement)
        if match is None or (wanted is not None and match.group(2) not in wanted):
            return
        rows = len(parameters) if executemany and isinstance(parameters, (list, tuple)) else 1
        with counted._lock:
            counted.by_table[match.group(2)] += rows

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)
