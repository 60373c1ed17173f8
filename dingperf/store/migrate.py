"""Schema migrations with Alembic: `upgrade(settings)` brings a database to the newest schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from dingperf.store.engine import StoreError, create_store_engine

if TYPE_CHECKING:
    from dingperf.settings import Settings

_HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """An Alembic Config for the migrations shipped in this package, aimed at database_url."""
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["database_url"] = database_url  # not set_main_option: '%' in passwords breaks ini parsing
    return cfg


def upgrade_database(database_url: str, revision: str = "head") -> str:
    """Migrate database_url to `revision`; returns the revision it is at afterwards."""
    command.upgrade(alembic_config(database_url), revision)
    return current_revision(database_url) or ""


def upgrade(settings: Settings, revision: str = "head") -> str:
    """Migrate the configured database (the server calls this on start); returns the new revision."""
    return upgrade_database(settings.database.url, revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty (never migrated) database."""
    engine = create_store_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of dingperf."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in the dingperf package; the installation is broken")
    return head


def require_current_schema(database_url: str) -> str:
    """The current revision if it is the newest; else StoreError telling the admin to run `dingperf db upgrade`
    (for processes that must not migrate themselves, e.g. when another one does on start)."""
    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise StoreError(f"the database is at schema revision {current or 'none (empty)'} but this dingperf needs "
                         f"{head}; run `dingperf db upgrade`")
    return current
