"""Bulk access to the performance tables: executemany upserts and range loads on the raw DBAPI cursor.

Scoring a 100,000-person cycle must not pay ORM costs per row, so these helpers bind values themselves
(exact decimals, UTC timestamps, JSON text) the way the SQLModel column types would, and use one SQL
text for SQLite and PostgreSQL (`INSERT … ON CONFLICT (key) DO UPDATE`). They never commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table

from dingperf.store.tables.perf_inputs import PerfInput, PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult

INPUTS: Table = PerfInput.__table__  # type: ignore[assignment]
RATINGS: Table = PerfRating.__table__  # type: ignore[assignment]
PARTICIPANTS: Table = PerfParticipant.__table__  # type: ignore[assignment]
RESULTS: Table = PerfResult.__table__  # type: ignore[assignment]

# Columns a re-score rewrites; calibration, release and acknowledgement columns are left alone.
RESULT_SCORE_COLUMNS = ("corp_id", "cycle_id", "userid", "template_id", "template_version", "status",
                        "blocked_reason", "total", "unrounded", "grade", "veto", "sections", "adjustments",
                        "rater_policy", "effective_weights", "explanation", "scored_at")
RESULT_KEY = ("corp_id", "cycle_id", "userid")


class Binder:
    """Turns Python values into what the connection's DBAPI driver stores for our column types."""

    def __init__(self, conn: Connection | None = None, *, dialect: str | None = None) -> None:
        name = dialect if conn is None else conn.dialect.name
        if name is None:
            raise ValueError("Binder needs a connection or a dialect name")
        self.sqlite = name == "sqlite"
        self.placeholder = "?" if self.sqlite else "%s"

    def time(self, value: datetime | None) -> object:
        """UTCDateTime as stored: naive UTC text on SQLite (SQLAlchemy's format), aware on PostgreSQL."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; pass an aware one")
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def decimal(self, value: Decimal | None) -> object:
        """Numeric as stored: text on SQLite (its driver cannot bind Decimal), Decimal on PostgreSQL."""
        if value is None:
            return None
        return str(value) if self.sqlite else value


def dumps(value: Any) -> str:
    """Compact JSON text for a JSON column."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(value: Any) -> Any:
    """A JSON column read through a raw cursor: SQLite gives text, psycopg gives parsed objects."""
    return json.loads(value) if isinstance(value, str) else value


def upsert_sql(table: Table, columns: Sequence[str], key: Sequence[str], placeholder: str,
               *, frozen_when: str | None = None) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE SET every non-key column (same text on SQLite and PostgreSQL).

    `frozen_when` is a SQL condition on the existing row under which the update is skipped.
    """
    names = ", ".join(columns)
    marks = ", ".join(placeholder for _ in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    sql = (f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "
           f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
    if frozen_when:
        sql += f" WHERE NOT ({frozen_when})"
    return sql


def executemany(conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Run one statement for many parameter tuples on the driver's executemany."""
    if rows:
        conn.exec_driver_sql(sql, list(rows))


def fetch_rows(conn: Connection, sql: str, params: tuple[object, ...]) -> list[tuple]:  # type: ignore[type-arg]
    """All rows of `sql` through the raw DBAPI cursor (plain tuples, driver types)."""
    # The raw DBAPI cursor: SQLAlchemy's per-row Result wrapping costs more than the scoring of a row.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def participant_ids(conn: Connection, corp_id: str, cycle_id: str) -> list[str]:
    """Userids of the cycle's participants in the database's own order (range loads rely on it)."""
    b = Binder(conn)
    sql = (f"SELECT userid FROM {PARTICIPANTS.name} WHERE corp_id = {b.placeholder} AND cycle_id = "
           f"{b.placeholder} ORDER BY userid")
    return [r[0] for r in fetch_rows(conn, sql, (corp_id, cycle_id))]


def load_input_rows(conn: Connection, corp_id: str, cycle_id: str, first: str, last: str) -> Iterator[tuple]:  # type: ignore[type-arg]
    """(userid, kind, code, value, achievement, sources, note) for participants first..last (inclusive)."""
    p = Binder(conn).placeholder
    sql = (f"SELECT userid, kind, code, value, achievement, sources, note FROM {INPUTS.name} "
           f"WHERE corp_id = {p} AND cycle_id = {p} AND userid >= {p} AND userid <= {p}")
    return iter(fetch_rows(conn, sql, (corp_id, cycle_id, first, last)))


def load_rating_rows(conn: Connection, corp_id: str, cycle_id: str, first: str, last: str) -> Iterator[tuple]:  # type: ignore[type-arg]
    """(userid, rater_id, section, rater_group, ratings) for participants first..last, in rater order."""
    p = Binder(conn).placeholder
    # As text on PostgreSQL too: psycopg would parse every row's JSON, InputLoader parses each distinct text once.
    sql = (f"SELECT userid, rater_id, section, rater_group, CAST(ratings AS TEXT) FROM {RATINGS.name} "
           f"WHERE corp_id = {p} AND cycle_id = {p} AND userid >= {p} AND userid <= {p} "
           "ORDER BY userid, rater_id")
    return iter(fetch_rows(conn, sql, (corp_id, cycle_id, first, last)))


# Per employee, its inputs and its rater rows folded into one text each by SQLite itself (two range scans
# grouped by userid in index order): a Python object per stored row costs more than the scoring of it.
# A row that the compact form cannot carry (a Measurement's extras, an N/A value, a separator inside a
# value) becomes the marker char(29), and the caller loads that employee the ordinary way. Parts come in
# primary-key order (kind, code / rater_id).
_COMPACT_INPUTS = (
    "SELECT userid, group_concat(CASE WHEN value IS NOT NULL AND achievement IS NULL AND sources IS NULL "
    "AND note = '' AND instr(value, char(30)) = 0 AND instr(value, char(31)) = 0 "
    "AND instr(value, char(29)) = 0 THEN kind || char(31) || code || char(31) || value "
    f"ELSE char(29) END, char(30)) FROM {INPUTS.name} "
    "WHERE corp_id = ? AND cycle_id = ? AND userid >= ? AND userid <= ? GROUP BY userid ORDER BY userid"
)
_COMPACT_RATINGS = (
    "SELECT userid, group_concat(CASE WHEN instr(rater_id, char(29)) = 0 AND instr(rater_id, char(30)) = 0 "
    "AND instr(rater_group, char(29)) = 0 AND instr(rater_group, char(30)) = 0 "
    "THEN rater_group || char(31) || ratings || char(29) || rater_id ELSE char(29) END, char(30)) "
    f"FROM {RATINGS.name} WHERE corp_id = ? AND cycle_id = ? AND userid >= ? AND userid <= ? "
    "GROUP BY userid ORDER BY userid"
)

# PostgreSQL: the same two grouped range scans, parts ordered explicitly (rater ids by code point, as
# FastScorer checks them); JSON ratings come back as the stored text.
_COMPACT_INPUTS_PG = (
    "SELECT userid, string_agg(CASE WHEN value IS NOT NULL AND achievement IS NULL AND sources IS NULL "
    "AND note = '' AND strpos(value, chr(30)) = 0 AND strpos(value, chr(31)) = 0 "
    "AND strpos(value, chr(29)) = 0 THEN kind || chr(31) || code || chr(31) || value "
    f"ELSE chr(29) END, chr(30) ORDER BY kind, code) FROM {INPUTS.name} "
    "WHERE corp_id = %s AND cycle_id = %s AND userid >= %s AND userid <= %s GROUP BY userid ORDER BY userid"
)
_COMPACT_RATINGS_PG = (
    "SELECT userid, string_agg(CASE WHEN strpos(rater_id, chr(29)) = 0 AND strpos(rater_id, chr(30)) = 0 "
    "AND strpos(rater_group, chr(29)) = 0 AND strpos(rater_group, chr(30)) = 0 "
    "THEN rater_group || chr(31) || ratings::text || chr(29) || rater_id ELSE chr(29) END, chr(30) "
    f'ORDER BY rater_id COLLATE "C", section) FROM {RATINGS.name} '
    "WHERE corp_id = %s AND cycle_id = %s AND userid >= %s AND userid <= %s GROUP BY userid"
)

COMPACT_MARK = "\x1d"  # a row the compact form cannot carry; also separates a rater part from its rater_id
COMPACT_ROW = "\x1e"  # between parts


def compact_supported(dialect: str) -> bool:
    """True where load_compact_rows works (SQLite and PostgreSQL)."""
    return dialect in ("sqlite", "postgresql")


def load_compact_rows(dbapi_conn: Any, corp_id: str, cycle_id: str, first: str,
                      last: str) -> list[tuple[str, str, str | None]]:
    """(userid, input parts, rater parts) per employee with inputs in first..last, by userid.

    Takes a raw DBAPI connection outside any transaction and reads one consistent snapshot without a write
    lock (SQLite: a deferred transaction, so scoring processes read in parallel instead of queueing for the
    write lock; PostgreSQL: a read-only repeatable-read transaction). Input parts are "kind␟code␟value"
    joined by COMPACT_ROW; rater parts "group␟ratings␝rater_id". Employees without any input are absent (the
    caller scores them the full way).
    """
    params = (corp_id, cycle_id, first, last)
    sqlite = isinstance(getattr(dbapi_conn, "driver_connection", dbapi_conn), sqlite3.Connection)
    cursor = dbapi_conn.cursor()
    try:
        if sqlite:
            cursor.execute("BEGIN")
        else:  # psycopg has begun a transaction; both scans must see one snapshot
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            cursor.execute(_COMPACT_INPUTS if sqlite else _COMPACT_INPUTS_PG, params)
            inputs = cursor.fetchall()
            cursor.execute(_COMPACT_RATINGS if sqlite else _COMPACT_RATINGS_PG, params)
            raters = dict(cursor.fetchall())
        finally:
            if sqlite:
                cursor.execute("COMMIT")
            else:
                dbapi_conn.rollback()
    finally:
        cursor.close()
    get = raters.get
    return [(userid, parts, get(userid)) for userid, parts in inputs]


def result_upsert_sql(conn: Connection) -> str:
    """The upsert that persists scored rows; released results are frozen (re-scoring leaves them as released)."""
    return upsert_sql(RESULTS, RESULT_SCORE_COLUMNS, RESULT_KEY, Binder(conn).placeholder,
                      frozen_when=f"{RESULTS.name}.released_at IS NOT NULL")


def sqlite_literal(value: object) -> str:
    """A SQL literal for SQLite: NULL, an integer, or a quoted text (quotes doubled; NUL refused)."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"cannot write {value!r} as a SQL literal; bind it as a parameter instead")


def result_upsert_sql_fixed(fixed: dict[str, object]) -> tuple[str, tuple[str, ...]]:
    """The results upsert (SQLite) with `fixed` columns as literals; returns it and the columns still bound.

    Rows of one batch share most columns (cycle, template, policy, timestamp…): binding only what varies
    stores the very same values for a fraction of the per-row binding work.
    """
    unknown = set(fixed) - set(RESULT_SCORE_COLUMNS)
    if unknown or "userid" in fixed:
        raise ValueError(f"cannot fix {sorted(unknown) or ['userid']}: only non-key result columns may be fixed")
    bound = tuple(c for c in RESULT_SCORE_COLUMNS if c not in fixed)
    values = ", ".join(sqlite_literal(fixed[c]) if c in fixed else "?" for c in RESULT_SCORE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in RESULT_SCORE_COLUMNS if c not in RESULT_KEY)
    sql = (f"INSERT INTO {RESULTS.name} ({', '.join(RESULT_SCORE_COLUMNS)}) VALUES ({values}) "
           f"ON CONFLICT ({', '.join(RESULT_KEY)}) DO UPDATE SET {updates} "
           f"WHERE NOT ({RESULTS.name}.released_at IS NOT NULL)")
    return sql, bound


def result_insert_sql(conn: Connection, table: Table) -> str:
    """A plain INSERT of the scored columns into `table` (the benchmark's storage-limit reference)."""
    p = Binder(conn).placeholder
    return (f"INSERT INTO {table.name} ({', '.join(RESULT_SCORE_COLUMNS)}) "
            f"VALUES ({', '.join(p for _ in RESULT_SCORE_COLUMNS)})")
