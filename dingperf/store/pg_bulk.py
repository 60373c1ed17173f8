"""PostgreSQL bulk upsert of result rows: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT.

An executemany binds and sends every row as its own statement; COPY streams the varying columns as one
text payload (psycopg's C dumpers) and the server applies them in one statement. Columns every row shares
(cycle, template, policy, timestamp…) are bound once, cast to the column's type. Same rows and the same
frozen-when-released rule as `result_upsert_sql`; it never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql

from dingperf.store.perf_repositories import RESULT_KEY, RESULT_SCORE_COLUMNS, RESULTS

_STAGE = "perf_results_stage"
_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _sql_type(column: str) -> str:
    return str(RESULTS.c[column].type.compile(dialect=_DIALECT))


def copy_upsert_results(conn: Connection, fixed: Mapping[str, object], bound: Sequence[str],
                        rows: Sequence[Sequence[object]]) -> None:
    """Upsert rows of the `bound` columns (userid included), every other score column set to `fixed`."""
    if not rows:
        return
    if set(fixed) | set(bound) != set(RESULT_SCORE_COLUMNS) or set(fixed) & set(bound) or "userid" not in bound:
        raise ValueError(f"fixed {sorted(fixed)} and bound {list(bound)} must split the result columns, "
                         "with userid bound")
    names = ", ".join(bound)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        # Same column types as perf_results, no constraints; dropped when this transaction ends.
        cursor.execute(f"CREATE TEMPORARY TABLE {_STAGE} ON COMMIT DROP AS "
                       f"SELECT {names} FROM {RESULTS.name} WITH NO DATA")
        with cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        select = ", ".join(c if c in bound else f"CAST(%s AS {_sql_type(c)})" for c in RESULT_SCORE_COLUMNS)
        params = [fixed[c] for c in RESULT_SCORE_COLUMNS if c not in bound]
        updates = ", ".join(f"{c} = excluded.{c}" for c in RESULT_SCORE_COLUMNS if c not in RESULT_KEY)
        cursor.execute(
            f"INSERT INTO {RESULTS.name} ({', '.join(RESULT_SCORE_COLUMNS)}) SELECT {select} FROM {_STAGE} "
            f"ON CONFLICT ({', '.join(RESULT_KEY)}) DO UPDATE SET {updates} "
            f"WHERE NOT ({RESULTS.name}.released_at IS NOT NULL)", params)
        cursor.execute(f"DROP TABLE {_STAGE}")  # the connection may run another batch in this transaction
    finally:
        cursor.close()
