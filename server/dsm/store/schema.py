"""The companion's schema in one list: every migration, every table's declaration, every event observer.

Built by `companion_schema()` and handed over explicitly (the app factory, the CLI, the tests): nothing
registers itself by being imported. Adding a table: a migration and a `TableSpec` in its store module, then one
line each in the lists below; export/import, retention, counts, `dsm doctor` and the known users follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsm.analytics import rollups
from dsm.store import analytics, cache, edits, events, historical, migrations, reports, settings, shares
from dsm.store.events import RowObserver
from dsm.store.migrations import Migration
from dsm.store.tables import TableSpec


@dataclass(frozen=True)
class Schema:
    migrations: tuple[Migration, ...]
    tables: tuple[TableSpec, ...]  # in export/import order
    observers: tuple[RowObserver, ...] = ()  # see exactly the event rows each transaction adds (rollups)

    def __post_init__(self) -> None:
        object.__setattr__(self, "migrations", migrations.checked(self.migrations))
        names = [t.name for t in self.tables]
        keys = [t.portable.key for t in self.tables if t.portable is not None]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise ValueError(f"a table or an export key is declared twice: {names} {keys}")

    def latest_version(self) -> int:
        return migrations.latest_version(self.migrations)


def companion_schema() -> Schema:
    """Everything `dsm` stores. The order of `tables` is the order of an export document and of an import."""
    return Schema(
        migrations=(*migrations.CORE, *rollups.MIGRATIONS, *edits.MIGRATIONS, *shares.MIGRATIONS),
        tables=(
            *events.TABLES,
            *analytics.TABLES,
            *cache.TABLES,
            *reports.TABLES,
            *settings.TABLES,
            *historical.TABLES,
            *edits.TABLES,
            *shares.TABLES,
            *rollups.TABLES,
        ),
        observers=(rollups.observe,),
    )
